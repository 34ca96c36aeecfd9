//! The one GNU make jobserver that dist's concurrent builds share, so that they fit the cores
//! between them. Every target's build starts at once and holds one job slot of its own (make's
//! implicit token); the pipe holds the rest of the machine's. cargo, the `cc` crate and the
//! `make` that vendored C libraries run take a token from it for every job past their first,
//! and give it back: a target in a serial step (a C library's `configure`, the LTO link) leaves
//! its cores to the others, and when a target is done its slot goes to those still running, so
//! the last one builds on every core.

use std::fs::File;
use std::io::Write;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::Mutex;

use anyhow::{Result, bail};

pub struct Jobserver {
    read: OwnedFd,
    /// Writes of a few bytes to a pipe are atomic: no lock needed.
    write: File,
    slots: usize,
    /// Targets whose slot is still held.
    running: Mutex<usize>,
}

impl Jobserver {
    /// `slots` jobs at once for `builds` targets.
    pub fn new(slots: usize, builds: usize) -> Result<Jobserver> {
        let mut fds = [0; 2];
        // No O_CLOEXEC: the builds, their build scripts and make inherit both ends, as make's
        // own children do.
        // SAFETY: `fds` has room for the two descriptors pipe(2) writes.
        if unsafe { libc::pipe(fds.as_mut_ptr()) } != 0 {
            bail!("creating the builds' jobserver pipe: {}", std::io::Error::last_os_error());
        }
        // SAFETY: pipe(2) succeeded, so both are open descriptors that nothing else owns.
        let (read, write) = unsafe { (OwnedFd::from_raw_fd(fds[0]), File::from_raw_fd(fds[1])) };
        let server = Jobserver { read, write, slots, running: Mutex::new(builds) };
        server.put(slots.saturating_sub(builds))?;
        Ok(server)
    }

    /// The machine's slots: `CARGO_BUILD_JOBS`, or one per core.
    pub fn slots() -> usize {
        (std::env::var("CARGO_BUILD_JOBS").ok())
            .and_then(|j| j.parse().ok())
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
    }

    /// `CARGO_MAKEFLAGS` for a build: the pipe's two ends, in both spellings make has used.
    pub fn makeflags(&self) -> String {
        let (r, w) = (self.read.as_raw_fd(), self.write.as_raw_fd());
        format!("-j --jobserver-fds={r},{w} --jobserver-auth={r},{w}")
    }

    /// A target is done: its slot goes to the builds still running, up to `slots` in all.
    pub fn finished(&self) -> Result<()> {
        let mut running = self.running.lock().expect("jobserver");
        *running = running.saturating_sub(1);
        if *running < self.slots { self.put(1) } else { Ok(()) }
    }

    fn put(&self, tokens: usize) -> Result<()> {
        (&self.write).write_all(&vec![b'+'; tokens]).map_err(|e| anyhow::anyhow!("jobserver: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn tokens(server: &Jobserver) -> usize {
        let fd = server.read.try_clone().unwrap();
        // SAFETY: a non-blocking read end, duplicated above, so that an empty pipe returns.
        unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_SETFL, libc::O_NONBLOCK) };
        let mut buf = [0; 64];
        let n = File::from(fd).read(&mut buf).unwrap_or(0);
        server.put(n).unwrap();
        n
    }

    #[test]
    fn the_slots_of_finished_targets_go_to_the_last_ones() {
        let server = Jobserver::new(2, 4).unwrap();
        assert_eq!(tokens(&server), 0, "four builds on two slots: none to spare");
        server.finished().unwrap();
        server.finished().unwrap();
        assert_eq!(tokens(&server), 0, "two still running fill both slots");
        server.finished().unwrap();
        assert_eq!(tokens(&server), 1, "the last one may use both");
        let one = Jobserver::new(2, 1).unwrap();
        assert_eq!(tokens(&one), 1);
        assert!(one.makeflags().starts_with("-j --jobserver-fds="));
    }
}
