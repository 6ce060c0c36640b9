//! Criterion bench of the reference finder on 1,000 generated posts that mix every syntax the
//! scanner handles (inline, reference, HTML, Liquid, code blocks that must be skipped).
#![allow(clippy::unwrap_used)]

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

fn post(i: usize) -> String {
    let mut s = format!(
        "---\ntitle: Post {i}\nheader-img: img/bg-{i}.jpg\n---\n\nIntro paragraph number {i} with some text.\n\n"
    );
    for j in 0..8 {
        s.push_str(&format!(
            "![photo {j}]({{{{site.baseurl}}}}/postimg/p{i}-{j}.jpeg)\n"
        ));
        s.push_str(
            "Some prose between images, with *emphasis* and `inline code ![x](/no.png)`.\n\n",
        );
    }
    s.push_str(&format!("![ref][r{i}] and ![shortcut]\n\n"));
    s.push_str(&format!(
        "<img src=\"{{{{ site.baseurl }}}}/postimg/h{i}.png\" alt=\"raw\" width=\"300\">\n\n"
    ));
    s.push_str("```markdown\n![in code](/postimg/code.png)\n```\n\n");
    s.push_str("| a | b |\n|---|---|\n| ![t](/postimg/t.gif) | x |\n\n");
    s.push_str(&format!(
        "[r{i}]: /postimg/r{i}.jpg \"title\"\n[shortcut]: /postimg/s.png\n"
    ));
    s
}

fn bench(c: &mut Criterion) {
    let posts: Vec<String> = (0..1000).map(post).collect();
    let bytes: usize = posts.iter().map(String::len).sum();
    let mut g = c.benchmark_group("scan");
    g.throughput(Throughput::Bytes(bytes as u64));
    g.sample_size(20);
    g.bench_function("find_refs/1000 posts", |b| {
        b.iter(|| {
            let n: usize = posts
                .iter()
                .map(|p| postpix::scan::find_refs(p).len())
                .sum();
            assert!(n >= 13_000);
            n
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
