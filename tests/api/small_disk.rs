//! A small filesystem made by a test, to play a full disk (or, with `chattr +i`, read-only
//! files): a tmpfs of a few megabytes, mounted on a temporary directory. Mounting needs
//! root; elsewhere the tests that need one say they were skipped (on stderr) and stop.
//! (A read-only remount is refused while the database files are open for writing, so
//! read-only files are played with the immutable attribute instead.)

use std::{
    io::Write,
    path::{Path, PathBuf},
    process::Command,
};

pub struct SmallDisk {
    dir: tempfile::TempDir,
    filler: PathBuf,
}

impl SmallDisk {
    /// A tmpfs of `megabytes` MiB, or `None` (with a message) when this process may not
    /// mount one.
    pub fn mount(megabytes: u32, test: &str) -> Option<Self> {
        let dir = tempfile::tempdir().expect("temporary directory");
        let mounted = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={megabytes}m,mode=0700"),
                "tmpfs",
            ])
            .arg(dir.path())
            .output();
        match mounted {
            Ok(output) if output.status.success() => Some(Self {
                filler: dir.path().join("filler"),
                dir,
            }),
            Ok(output) => {
                eprintln!(
                    "SKIPPED {test}: cannot mount a tmpfs (needs root): {}",
                    String::from_utf8_lossy(&output.stderr).trim()
                );
                None
            }
            Err(error) => {
                eprintln!("SKIPPED {test}: cannot run mount: {error}");
                None
            }
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Fills every byte left with a filler file.
    pub fn fill(&self) {
        let mut file = std::fs::File::create(&self.filler).expect("create the filler");
        let chunk = vec![0u8; 64 * 1024];
        loop {
            match file.write(&chunk) {
                Ok(0) => break,
                Ok(_) => {}
                Err(error) if error.raw_os_error() == Some(28) => break, // ENOSPC
                Err(error) => panic!("filling the disk: {error}"),
            }
        }
        // The last partial chunk too.
        let byte = [0u8; 1];
        while file.write(&byte).is_ok_and(|n| n == 1) {}
    }

    /// Frees the space the filler took.
    pub fn free(&self) {
        std::fs::remove_file(&self.filler).expect("remove the filler");
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        Command::new("umount")
            .arg("-l")
            .arg(self.dir.path())
            .status()
            .ok();
    }
}
