//! Directories for SQLite files: a small tmpfs the test can fill to the last byte (mounting needs root), or
//! a plain temporary directory. Both are removed (unmounted first) when dropped.

use std::io::Write;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A temporary directory, deleted when dropped.
#[derive(Debug)]
pub struct Scratch {
    dir: PathBuf,
}

impl Scratch {
    /// A new, empty directory under the system's temporary directory.
    pub fn new(name: &str) -> Scratch {
        let dir =
            std::env::temp_dir().join(format!("payments-faults-{name}-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir(&dir).unwrap_or_else(|error| panic!("cannot create {}: {error}", dir.display()));
        Scratch { dir }
    }

    /// Its path.
    pub fn path(&self) -> &Path {
        &self.dir
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A tmpfs of a fixed size, mounted on a temporary directory.
#[derive(Debug)]
pub struct Tmpfs {
    mount_point: Scratch,
}

impl Tmpfs {
    /// Mounts a tmpfs of `size` (`mount -t tmpfs -o size=...`).
    ///
    /// # Panics
    /// When not root, or when the mount fails: with a message saying so (the test needs a filesystem it can
    /// fill, and both a tmpfs and a loop file need root).
    pub fn mount(size: &str) -> Tmpfs {
        let uid = std::fs::metadata("/proc/self").map(|meta| meta.uid()).unwrap_or(u32::MAX);
        assert!(
            uid == 0,
            "the SQLite disk-full test needs a small filesystem it can fill, and mounting one (a tmpfs, or a \
             loop file) needs root: run the fault tests as root"
        );
        let mount_point = Scratch::new("tmpfs");
        let options = format!("size={size},mode=0700");
        let output = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &options, "payments-faults"])
            .arg(mount_point.path())
            .output()
            .unwrap_or_else(|error| panic!("cannot run mount (the disk-full test needs it): {error}"));
        assert!(
            output.status.success(),
            "the SQLite disk-full test needs a small filesystem it can fill: `mount -t tmpfs -o {options}` \
             failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        );
        Tmpfs { mount_point }
    }

    /// The mounted directory.
    pub fn path(&self) -> &Path {
        self.mount_point.path()
    }

    /// Fills the filesystem to the last byte with a ballast file and returns its path (delete it to free the
    /// space).
    pub fn fill(&self) -> PathBuf {
        let ballast = self.path().join("ballast");
        let mut file = std::fs::File::create(&ballast).expect("the ballast file");
        for chunk in [1 << 20, 64 << 10, 4 << 10, 512, 1] {
            let bytes = vec![0xa5u8; chunk];
            loop {
                match file.write_all(&bytes) {
                    Ok(()) => {}
                    Err(error) if error.raw_os_error() == Some(28) => break,
                    Err(error) => panic!("cannot fill {}: {error}", self.path().display()),
                }
            }
        }
        ballast
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let unmounted = Command::new("umount").arg(self.path()).status().is_ok_and(|status| status.success());
        if !unmounted {
            // Something still holds a file there: detach it now, the kernel frees it when released.
            let _ = Command::new("umount").arg("-l").arg(self.path()).status();
        }
    }
}
