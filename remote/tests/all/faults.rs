//! Failures: the server stopped mid-push, a truncated object. Clear errors, nothing corrupted, earlier refs intact.

use std::time::Duration;

use strata_remote::ObjectBackend;
use strata_snapshots::{Backend, MemBackend, NoProgress, Saver, Store};

use crate::proxy::Proxy;
use crate::{new_fs, s3, tree};

const GRACE: Duration = Duration::from_secs(3600);

#[test]
fn server_stopped_mid_push() {
    let Some(s3) = s3() else { return };
    let local = Store::with_backend(MemBackend::new());
    let mut fs = new_fs();
    let mut saver = Saver::new();
    let v1 = saver
        .save(&local, &tree(&mut fs, "v1", 4, 10), &[])
        .unwrap();
    // Big enough for many packs at a small pack size.
    let v2 = saver
        .save(&local, &tree(&mut fs, "v2", 40, 40), &[])
        .unwrap();
    let (direct, _) = s3.store("p", GRACE);
    direct.fetch_from(&local, &v1, 4, &NoProgress).unwrap();
    direct.set_ref("old", &v1).unwrap();
    let proxy = Proxy::new(&s3.endpoint);
    let b: ObjectBackend = s3.backend_via(&proxy.endpoint, "p", GRACE);
    let requests = b.requests();
    let remote = Store::with_backend(b);
    remote.set_pack_limit(16 << 10);
    let result = std::thread::scope(|s| {
        let push = s.spawn(|| remote.fetch_from(&local, &v2, 4, &NoProgress));
        // Cut the connection once a few packs are written.
        while requests.stats().puts < 3 && !push.is_finished() {
            std::thread::sleep(Duration::from_millis(2));
        }
        proxy.cut();
        push.join().unwrap()
    });
    let e = result.expect_err("the push went through a stopped server");
    let msg = e.to_string();
    assert!(!msg.contains('\n'), "{msg}");
    assert!(msg.contains("s3://"), "{msg}");
    // Nothing corrupted: the old ref is whole, the new one was never set,
    // and a push through a working server completes the copy.
    let (fresh, _) = s3.store("p", GRACE);
    assert_eq!(fresh.get_ref("old").unwrap(), v1);
    fresh.verify(&v1).unwrap();
    assert!(fresh.get_ref("new").is_err());
    let done = fresh.fetch_from(&local, &v2, 4, &NoProgress).unwrap();
    assert!(done.present > 0, "{done:?}");
    fresh.set_ref("new", &v2).unwrap();
    fresh.verify(&v2).unwrap();
}

#[test]
fn a_truncated_pack_is_an_error_not_data() {
    let Some(s3) = s3() else { return };
    let local = Store::with_backend(MemBackend::new());
    let mut fs = new_fs();
    let v1 = Saver::new()
        .save(&local, &tree(&mut fs, "v1", 4, 10), &[])
        .unwrap();
    let b = s3.backend("p", GRACE);
    let remote = Store::with_backend(s3.backend("p", GRACE));
    remote.fetch_from(&local, &v1, 4, &NoProgress).unwrap();
    remote.set_ref("r", &v1).unwrap();
    // Cut every pack short, as an interrupted upload by some other tool
    // might leave it.
    for name in b.list("packs").unwrap() {
        let path = format!("packs/{name}");
        let data = b.read(&path, u64::MAX).unwrap().unwrap();
        b.remove(&path).unwrap();
        b.write_atomic(&path, &data[..data.len() - 100]).unwrap();
    }
    let (fresh, _) = s3.store("p", GRACE);
    let e = fresh.verify(&v1).unwrap_err();
    assert!(!e.to_string().contains('\n'), "{e}");
    // Pulling it fails, and leaves the destination without the ref.
    let other = Store::with_backend(MemBackend::new());
    let e = other.fetch_from(&fresh, &v1, 4, &NoProgress).unwrap_err();
    assert!(e.to_string().contains("pack"), "{e}");
    assert!(other.get_ref("r").is_err());
}
