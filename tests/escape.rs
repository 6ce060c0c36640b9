//! Writes never escape the destination: a symlinked folder between the site (or `--out`) root
//! and a file postpix would write, delete or lock is refused with a message naming the link, the
//! run exits 1 (or 2 when the cache itself cannot be used), and nothing appears outside.
#![allow(clippy::unwrap_used)]

mod common;

use std::os::unix::fs::symlink;

use common::*;

/// A site with one post and one photo, beside an empty `outside/` folder.
fn site_beside_outside() -> (TestSite, std::path::PathBuf) {
    let site = TestSite::copy_of("site-example");
    for e in std::fs::read_dir(site.path("_posts")).unwrap() {
        std::fs::remove_file(e.unwrap().path()).unwrap();
    }
    std::fs::write(
        site.path("_posts/2021-01-01-a.md"),
        "# A\n\n![wood](/postimg/wood.jpg)\n",
    )
    .unwrap();
    let outside = site.root.parent().unwrap().join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    (site, outside)
}

fn files_in(dir: &std::path::Path) -> Vec<String> {
    snapshot(dir).into_keys().collect()
}

#[test]
fn a_symlinked_variant_folder_is_refused_and_nothing_is_written_outside() {
    let (site, outside) = site_beside_outside();
    symlink("../../outside", site.path("postimg/responsive")).unwrap();
    let out = site.run(&["build", "."]);
    assert_eq!(code(&out), 1, "{}", show(&out));
    let err =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("postimg/responsive") && err.contains("symlink"),
        "{}",
        show(&out)
    );
    assert_eq!(files_in(&outside), Vec::<String>::new());
    // The post is left as it was: it has no variants to point at.
    assert_eq!(
        site.read("_posts/2021-01-01-a.md"),
        "# A\n\n![wood](/postimg/wood.jpg)\n"
    );
}

#[test]
fn a_symlinked_cache_folder_is_refused() {
    let (site, outside) = site_beside_outside();
    symlink("../outside", site.path(".postpix")).unwrap();
    let out = site.run(&["build", "."]);
    assert_ne!(code(&out), 0, "{}", show(&out));
    assert!(show(&out).contains(".postpix"), "{}", show(&out));
    assert_eq!(files_in(&outside), Vec::<String>::new());
}

#[test]
fn out_mirror_and_prune_never_follow_a_symlinked_folder() {
    let (site, outside) = site_beside_outside();
    let dest = site.root.parent().unwrap().join("_build");
    std::fs::create_dir_all(&dest).unwrap();
    // A link planted in --out where the mirror would copy the images.
    symlink("../outside", dest.join("postimg")).unwrap();
    let dest_s = dest.to_string_lossy().into_owned();
    let out = site.run(&["build", ".", "--out", &dest_s]);
    assert_eq!(code(&out), 1, "{}", show(&out));
    assert_eq!(files_in(&outside), Vec::<String>::new());

    // Prune: a clean build, then the variant folder is swapped for a link to a copy of
    // itself outside; removing the image must not delete the copies.
    let (site, outside) = site_beside_outside();
    assert_eq!(code(&site.run(&["build", "."])), 0);
    let variants = site.path("postimg/responsive");
    copy_tree(&variants, &outside.join("responsive"));
    std::fs::remove_dir_all(&variants).unwrap();
    symlink("../../outside/responsive", &variants).unwrap();
    std::fs::write(site.path("_posts/2021-01-01-a.md"), "# A\n").unwrap();
    let before = files_in(&outside);
    assert!(!before.is_empty());
    let out = site.run(&["build", "."]);
    assert_eq!(files_in(&outside), before, "{}", show(&out));
}
