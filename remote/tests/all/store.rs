//! A store on S3: save, load, list, verify; create-if-absent objects; compare-and-swap of refs.

use std::time::Duration;

use strata_snapshots::{Backend, Error, load, save};

use crate::{S3, new_fs, s3, tree, write};

const GRACE: Duration = Duration::from_secs(3600);

#[test]
fn save_load_verify_through_s3() {
    let Some(s3) = s3() else { return };
    let (store, requests) = s3.store("fleet/store", GRACE);
    let mut fs = new_fs();
    let snap = tree(&mut fs, "a", 3, 20);
    let h = save(&store, &snap, &[("k", "v")]).unwrap();
    store.set_ref("first", &h).unwrap();
    // A second store value (another host) sees it all.
    let (other, _) = s3.store("fleet/store", GRACE);
    assert_eq!(other.get_ref("first").unwrap(), h);
    assert_eq!(other.refs().unwrap(), vec![("first".to_owned(), h)]);
    assert_eq!(other.ref_names().unwrap(), vec!["first".to_owned()]);
    assert!(other.verify(&h).unwrap() > 60);
    let back = load(&other, &h).unwrap();
    let mut fs2 = new_fs();
    fs2.restore(&back);
    assert_eq!(crate::transfer::read(&mut fs2, "d2/f19"), b"a 2 19\n");
    // The save wrote one pack: a handful of PUTs, not one per object.
    let st = requests.stats();
    assert!(st.puts <= 3, "{st:?}");
    // Another prefix of the same bucket is another store.
    let (empty, _) = s3.store("fleet/other", GRACE);
    assert!(empty.refs().unwrap().is_empty());
    assert!(matches!(empty.get_ref("first"), Err(Error::NoSuchRef(_))));
}

#[test]
fn objects_and_packs_are_created_once() {
    let Some(s3) = s3() else { return };
    let b = s3.backend("p", GRACE);
    let requests = b.requests();
    b.write_atomic("packs/x.pack", b"first").unwrap();
    assert_eq!(requests.stats().puts, 1);
    // Named by content: written create-if-absent (If-None-Match: *); a
    // second write of it finds it present and renews it (see `shared_gc`).
    b.write_atomic("packs/x.pack", b"first").unwrap();
    assert_eq!(requests.stats().puts, 3);
    assert!(!b.write_if("packs/x.pack", b"other", None).unwrap());
    assert_eq!(b.read("packs/x.pack", 100).unwrap().unwrap(), b"first");
    b.write_atomic("objects/ab/cd", b"one").unwrap();
    assert!(!b.write_if("objects/ab/cd", b"two", None).unwrap());
    assert_eq!(b.read("objects/ab/cd", 100).unwrap().unwrap(), b"one");
    // Refs are replaced.
    b.write_atomic("refs/r", b"one").unwrap();
    b.write_atomic("refs/r", b"two").unwrap();
    assert_eq!(b.read("refs/r", 100).unwrap().unwrap(), b"two");
    // Listing: folders and files by name.
    let mut objects = b.list("objects").unwrap();
    objects.sort();
    assert_eq!(objects, vec!["ab".to_owned()]);
    assert_eq!(b.list("objects/ab").unwrap(), vec!["cd".to_owned()]);
    assert_eq!(b.list("nothing").unwrap(), Vec::<String>::new());
    // Ranges, and a range past the end.
    assert_eq!(b.read_at("packs/x.pack", 1, 3).unwrap(), b"irs");
    let e = b.read_at("packs/x.pack", 3, 10).unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::UnexpectedEof, "{e}");
    let e = b.read_at("packs/none.pack", 0, 1).unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::NotFound, "{e}");
    assert!(e.to_string().contains("packs/none.pack"), "{e}");
    assert_eq!(b.size("packs/x.pack").unwrap(), Some(5));
    assert!(b.modified("packs/x.pack").unwrap().is_some());
    b.remove("packs/x.pack").unwrap();
    b.remove("packs/x.pack").unwrap();
    assert!(!b.exists("packs/x.pack").unwrap());
}

#[test]
fn a_stale_etag_fails_the_ref_write() {
    let Some(s3) = s3() else { return };
    let b = s3.backend("p", GRACE);
    assert!(b.write_if("refs/r", b"one\n", None).unwrap());
    // If-None-Match: * on an existing ref fails.
    assert!(!b.write_if("refs/r", b"x\n", None).unwrap());
    let (_, v1) = b.read_versioned("refs/r").unwrap().unwrap();
    // Another host changes it.
    let other = s3.backend("p", GRACE);
    let (_, v) = other.read_versioned("refs/r").unwrap().unwrap();
    assert!(other.write_if("refs/r", b"two\n", Some(&v)).unwrap());
    // The first host's ETag is stale now: 412, nothing written.
    assert!(!b.write_if("refs/r", b"three\n", Some(&v1)).unwrap());
    assert_eq!(b.read("refs/r", 100).unwrap().unwrap(), b"two\n");
}

#[test]
fn compare_and_set_ref_between_hosts() {
    let Some(s3) = s3() else { return };
    let (a, _) = s3.store("p", GRACE);
    let (b, _) = s3.store("p", GRACE);
    let mut fs = new_fs();
    write(&mut fs, "x", b"1");
    let h1 = save(&a, &fs.snapshot(), &[]).unwrap();
    write(&mut fs, "x", b"2");
    let h2 = save(&a, &fs.snapshot(), &[]).unwrap();
    write(&mut fs, "x", b"3");
    let h3 = save(&b, &fs.snapshot(), &[]).unwrap();
    a.compare_and_set_ref("state", None, &h1).unwrap();
    // Host b read h1, and sets h3 from it.
    let read_by_b = b.get_ref("state").unwrap();
    // Meanwhile host a moves it on.
    a.compare_and_set_ref("state", Some(&h1), &h2).unwrap();
    match b.compare_and_set_ref("state", Some(&read_by_b), &h3) {
        Err(Error::RefChanged {
            name,
            expected,
            found,
        }) => {
            assert_eq!(name, "state");
            assert_eq!(expected, Some(h1));
            assert_eq!(found, Some(h2));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(a.get_ref("state").unwrap(), h2);
    // Creating an existing ref is a change too.
    assert!(matches!(
        b.compare_and_set_ref("state", None, &h3),
        Err(Error::RefChanged { .. })
    ));
    b.compare_and_set_ref("state", Some(&h2), &h3).unwrap();
    assert_eq!(a.get_ref("state").unwrap(), h3);
}

#[test]
fn bad_urls_are_refused() {
    for url in [
        "s3://",
        "s3://Bad_Bucket/x",
        "s3://bucket/a/../b",
        "http://x/y",
    ] {
        let e = strata_remote::open_url_with(url, S3::vars("http://127.0.0.1:1"), GRACE, GRACE)
            .unwrap_err();
        assert!(e.to_string().contains(url), "{e}");
    }
}
