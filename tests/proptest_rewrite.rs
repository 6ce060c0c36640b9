//! Property tests of the rewriter: for generated Markdown with images in random contexts (lists,
//! quotes, tables, links, code, HTML, references, CRLF, BOM), rewriting then restoring is the
//! identity, bytes outside the image spans never change, the markup hides every rewritten image
//! from a second scan, and rebuilding from the restored text gives the same bytes (idempotence).
#![allow(clippy::unwrap_used)]

use postpix::format::OutFormat;
use postpix::rewrite::{picture, splice, VariantLink};
use postpix::scan::{find_refs, RefKind};
use postpix::{marker, scan};
use proptest::prelude::*;

fn block() -> impl Strategy<Value = String> {
    let name = "[a-z]{1,8}";
    let alt = "[A-Za-z \"<>&*_|]{0,12}";
    let base = prop_oneof![
        Just("{{site.baseurl}}/postimg/".to_string()),
        Just("{{ site.baseurl }}/postimg/".to_string()),
        Just("/postimg/".to_string()),
        Just("../postimg/".to_string()),
    ];
    (0usize..13, name, alt, base).prop_map(|(k, n, a, b)| match k {
        0 => format!("Text ![{a}]({b}{n}.jpg) more text."),
        1 => format!("- item ![{a}]({b}{n}.png)\n- second"),
        2 => format!("> quoted ![{a}]({b}{n}.gif \"t {n}\")"),
        3 => format!("| a | b |\n|---|---|\n| ![{a}]({b}{n}.jpg) | x |"),
        4 => format!("[![{a}]({b}{n}.jpg)](https://example.org/{n})"),
        5 => format!("Code `![{a}]({b}{n}.jpg)` stays."),
        6 => format!("```\n![{a}]({b}{n}.jpg)\n```"),
        7 => format!("    ![{a}]({b}{n}.jpg)"),
        8 => format!("<img src=\"{b}{n}.png\" alt=\"{n}\" width=\"300\">"),
        9 => format!("![{a}][{n}]\n\n[{n}]: {b}{n}.jpg"),
        10 => format!("![{n}]({b}{n}.jpg){{: .center #i{n}}}"),
        11 => format!("<!-- ![{a}]({b}{n}.jpg) -->"),
        _ => format!("1. step ![{a}](<{b}{n} x.jpg>)"),
    })
}

fn document() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(block(), 1..12),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(blocks, crlf, bom, final_nl)| {
            let mut s = String::new();
            if bom {
                s.push('\u{feff}');
            }
            s.push_str("---\ntitle: t\n---\n\n");
            s.push_str(&blocks.join("\n\n"));
            if final_nl {
                s.push('\n');
            }
            if crlf {
                s = s.replace('\n', "\r\n");
            }
            s
        })
}

fn variants(seed: usize) -> Vec<VariantLink> {
    [480u32, 960]
        .iter()
        .flat_map(|&w| {
            [OutFormat::Webp, OutFormat::Jpeg].map(|f| VariantLink {
                file_name: format!("img{seed}-{w}.0123abcd.{}", f.extension()),
                width: w,
                height: w / 2,
                format: f,
            })
        })
        .collect()
}

/// Rewrite every rewritable reference of `original`, as the pipeline does.
fn rewrite_all(original: &str) -> (String, usize) {
    let refs = find_refs(original);
    let mut edits = Vec::new();
    for (i, r) in refs.iter().enumerate() {
        if r.kind == RefKind::FrontMatter {
            continue;
        }
        let text = &original[r.span.clone()];
        if let Ok(p) = picture(
            r,
            text,
            &variants(i),
            "responsive",
            "100vw",
            (960, 480),
            i == 0,
        ) {
            edits.push((r.span.clone(), p.to_html()));
        }
    }
    let n = edits.len();
    (splice(original, &edits), n)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn build_then_restore_is_the_identity(doc in document()) {
        let (new, n) = rewrite_all(&doc);
        prop_assert_eq!(marker::restore(&new), doc.clone());
        prop_assert_eq!(marker::find_generated(&new).len(), n);
        // Same line structure: the markup never adds or removes a line.
        prop_assert_eq!(new.matches('\n').count(), doc.matches('\n').count());
    }

    #[test]
    fn bytes_outside_image_spans_never_change(doc in document()) {
        let refs = find_refs(&doc);
        let (new, _) = rewrite_all(&doc);
        let gen = marker::find_generated(&new);
        // Walk both texts: everything between generated elements equals the original text
        // between the corresponding reference spans.
        let mut orig_pos = 0;
        let mut new_pos = 0;
        for g in &gen {
            let between_new = &new[new_pos..g.span.start];
            let r = refs.iter().find(|r| r.span.start >= orig_pos && doc[r.span.clone()] == g.original).unwrap();
            prop_assert_eq!(between_new, &doc[orig_pos..r.span.start]);
            orig_pos = r.span.end;
            new_pos = g.span.end;
        }
        prop_assert_eq!(&new[new_pos..], &doc[orig_pos..]);
    }

    #[test]
    fn rebuild_is_idempotent_and_hides_rewritten_images(doc in document()) {
        let (new, n) = rewrite_all(&doc);
        let post = scan::scan_text("p.md", new.clone());
        prop_assert_eq!(&*post.original, doc.as_str());
        let (again, _) = rewrite_all(&post.original);
        prop_assert_eq!(&again, &new);
        let before = find_refs(&doc).iter().filter(|r| r.kind != RefKind::FrontMatter).count();
        let after = find_refs(&new).iter().filter(|r| r.kind != RefKind::FrontMatter).count();
        prop_assert_eq!(after, before - n);
    }
}

#[test]
fn every_context_is_rewritten_or_left_as_expected() {
    let doc = "Text ![a](/p/a.jpg) more.\n\n- item ![b](/p/b.png)\n\n> q ![c](/p/c.gif \"t\")\n\n| a | b |\n|---|---|\n| ![d](/p/d.jpg) | x |\n\n[![e](/p/e.jpg)](https://x.org)\n\nCode `![f](/p/f.jpg)`.\n\n```\n![g](/p/g.jpg)\n```\n\n    ![h](/p/h.jpg)\n\n<img src=\"/p/i.png\" alt=\"i\">\n\n![j][j]\n\n[j]: /p/j.jpg\n\n![k](/p/k.jpg){: .center}\n\n<!-- ![l](/p/l.jpg) -->\n\n1. ![m](</p/m x.jpg>)\n";
    let (new, n) = rewrite_all(doc);
    assert_eq!(n, 9, "{new}");
    for kept in [
        "`![f](/p/f.jpg)`",
        "```\n![g](/p/g.jpg)\n```",
        "    ![h](/p/h.jpg)",
        "<!-- ![l](/p/l.jpg) -->",
        "[j]: /p/j.jpg",
    ] {
        assert!(new.contains(kept), "{kept} must stay as written");
    }
    assert!(new.contains("class=\"center\""), "IAL carried onto the img");
    assert!(new.contains("](https://x.org)"), "outer link kept");
    assert!(
        new.contains("| <span class=\"postpix\""),
        "table cell stays on its row"
    );
}
