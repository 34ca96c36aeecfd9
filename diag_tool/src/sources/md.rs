//! Linux software RAID (MD) arrays from `/proc/mdstat`, completed by `sys/block/md*/md/`
//! where present.

use crate::root::{Root, quote};

#[derive(Debug, Clone, Default, PartialEq)]
pub struct MdArray {
    /// `md0`.
    pub name: String,
    /// `raid1`, `raid5`, `raid10`... (`linear`, `raid0` have no redundancy to lose).
    pub level: Option<String>,
    /// `active`, `inactive`, or with `(read-only)`/`(auto-read-only)` as mdstat says.
    pub state: Option<String>,
    /// Member devices the array is made of (`[n/m]`: n).
    pub raid_disks: Option<u32>,
    /// Members working (`[n/m]`: m).
    pub active_disks: Option<u32>,
    /// Members missing: `md/degraded`, else n - m.
    pub degraded_disks: Option<u32>,
    /// Members marked `(F)`.
    pub failed_devices: Vec<String>,
    /// Members marked `(S)`.
    pub spare_devices: Vec<String>,
    /// `resync`, `recovery`, `reshape`, `check`, `repair` while one runs.
    pub sync_action: Option<String>,
    /// Progress of that action, percent with one decimal.
    pub sync_percent: Option<f64>,
    /// `PENDING` or `DELAYED` when the action waits to start.
    pub sync_waiting: Option<String>,
}
serialize_struct!(MdArray {
    name,
    level,
    state,
    raid_disks,
    active_disks,
    degraded_disks,
    failed_devices,
    spare_devices,
    sync_action,
    sync_percent,
    sync_waiting
});

impl MdArray {
    /// A redundant array running with members missing.
    pub fn is_degraded(&self) -> bool {
        self.degraded_disks.is_some_and(|d| d > 0)
    }
}

const PERSONALITIES: &[&str] =
    &["linear", "multipath", "raid0", "raid1", "raid4", "raid5", "raid6", "raid10", "faulty"];

/// `/proc/mdstat` as `md_seq_show` and `status_resync` in `drivers/md/md.c` print it:
///
/// ```text
/// md0 : active raid5 sdd1[3] sdc1[2](F) sdb1[1] sda1[0]
///       5860270080 blocks super 1.2 level 5, 512k chunk, algorithm 2 [4/3] [UU_U]
///       [=>...................]  recovery =  8.5% (166400000/1953423360) finish=150.3min speed=198000K/sec
/// ```
pub fn parse_mdstat(text: &str) -> (Vec<MdArray>, Vec<String>) {
    let mut arrays: Vec<MdArray> = Vec::new();
    let mut problems = Vec::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.is_empty()
            || trimmed.starts_with("Personalities")
            || trimmed.starts_with("unused devices")
        {
            continue;
        }
        if !line.starts_with(char::is_whitespace) {
            let Some((name, rest)) = line.split_once(" : ") else {
                problems
                    .push(format!("expected `mdN : state level devices`, found {}", quote(line)));
                continue;
            };
            let mut array = MdArray { name: name.trim().to_string(), ..MdArray::default() };
            let mut words = rest.split_whitespace().peekable();
            let mut state = words.next().map(str::to_string);
            while let Some(w) = words.peek().filter(|w| w.starts_with('(')) {
                if let Some(s) = &mut state {
                    s.push(' ');
                    s.push_str(w);
                }
                words.next();
            }
            array.state = state;
            if let Some(level) = words.peek().filter(|w| PERSONALITIES.contains(w)) {
                array.level = Some(level.to_string());
                words.next();
            }
            for member in words {
                let device = member.split('[').next().unwrap_or(member).to_string();
                if member.ends_with("(F)") {
                    array.failed_devices.push(device);
                } else if member.ends_with("(S)") {
                    array.spare_devices.push(device);
                }
            }
            arrays.push(array);
            continue;
        }
        let Some(array) = arrays.last_mut() else {
            problems.push(format!("status line before any array: {}", quote(trimmed)));
            continue;
        };
        if let Some(result) = parse_status_counts(trimmed) {
            match result {
                Ok((n, m)) => {
                    array.raid_disks = Some(n);
                    array.active_disks = Some(m);
                    array.degraded_disks = Some(n.saturating_sub(m));
                }
                Err(e) => problems.push(format!("{}: {e}", array.name)),
            }
        }
        if let Some(result) = parse_progress(trimmed) {
            match result {
                Ok((action, progress)) => {
                    array.sync_action = Some(action);
                    match progress {
                        Progress::Percent(p) => array.sync_percent = Some(p),
                        Progress::Waiting(w) => array.sync_waiting = Some(w),
                    }
                }
                Err(e) => problems.push(format!("{}: {e}", array.name)),
            }
        }
    }
    (arrays, problems)
}

/// The `[n/m]` of a status line: member slots and working members.
fn parse_status_counts(line: &str) -> Option<Result<(u32, u32), String>> {
    let token = line
        .split_whitespace()
        .find(|w| w.starts_with('[') && w.ends_with(']') && w.contains('/'))?;
    let inner = &token[1..token.len() - 1];
    let (n, m) = inner.split_once('/')?;
    Some(match (n.parse::<u32>(), m.parse::<u32>()) {
        (Ok(n), Ok(m)) if m <= n => Ok((n, m)),
        _ => Err(format!("expected [disks/working], found {}", quote(token))),
    })
}

enum Progress {
    Percent(f64),
    Waiting(String),
}

const ACTIONS: &[&str] = &["resync", "recovery", "reshape", "check", "repair"];

/// `recovery =  8.5% (...)` after a progress bar that has `=` of its own, or `resync=PENDING`,
/// `resync=DELAYED`.
fn parse_progress(line: &str) -> Option<Result<(String, Progress), String>> {
    let (action, after) = ACTIONS.iter().find_map(|action| {
        let at = line.find(action)?;
        let rest = line[at + action.len()..].trim_start().strip_prefix('=')?;
        Some((*action, rest))
    })?;
    let value = after.split_whitespace().next().unwrap_or("");
    let bad = || format!("{action}: expected a percentage, found {}", quote(value));
    let progress = if let Some(pct) = value.strip_suffix('%') {
        match pct.parse::<f64>() {
            Ok(p) if (0.0..=100.0).contains(&p) => Progress::Percent(p),
            _ => return Some(Err(bad())),
        }
    } else if value == "PENDING" || value == "DELAYED" {
        Progress::Waiting(value.to_string())
    } else {
        return Some(Err(bad()));
    };
    Some(Ok((action.to_string(), progress)))
}

pub fn read(root: &mut Root) -> Vec<MdArray> {
    let Some(text) = root.read("proc/mdstat") else {
        return Vec::new();
    };
    let (mut arrays, problems) = parse_mdstat(&text);
    for problem in problems {
        root.warn("proc/mdstat", problem);
    }
    for array in &mut arrays {
        // `Documentation/admin-guide/md.rst`: md/degraded counts missing members, md/level
        // and md/sync_action say the same as mdstat in words of their own.
        let dir = format!("sys/block/{}/md", array.name);
        if let Some(degraded) = root.number::<u32>(&format!("{dir}/degraded")) {
            array.degraded_disks = Some(degraded);
        }
        if array.level.is_none() {
            array.level = root.text(&format!("{dir}/level"));
        }
    }
    arrays
}

#[cfg(test)]
mod tests {
    use super::*;

    const MDSTAT: &str = "Personalities : [raid1] [raid6] [raid5] [raid4] [linear] [multipath] [raid0] [raid10] \nmd1 : active raid5 sdf1[4] sde1[2](F) sdd1[1] sdc1[0] sdg1[5](S)\n      5860270080 blocks super 1.2 level 5, 512k chunk, algorithm 2 [4/3] [UU_U]\n      [=>...................]  recovery =  8.5% (166400000/1953423360) finish=150.3min speed=198000K/sec\n      bitmap: 2/15 pages [8KB], 65536KB chunk\n\nmd0 : active raid1 sdb2[1] sda2[0]\n      976105472 blocks super 1.2 [2/2] [UU]\n      \tresync=DELAYED\n\nunused devices: <none>\n";

    #[test]
    fn a_degraded_raid5_in_recovery_shows_its_failed_member_and_progress() {
        let (arrays, problems) = parse_mdstat(MDSTAT);
        assert!(problems.is_empty(), "{problems:?}");
        let md1 = &arrays[0];
        assert_eq!(md1.name, "md1");
        assert_eq!(md1.level.as_deref(), Some("raid5"));
        assert_eq!(
            (md1.raid_disks, md1.active_disks, md1.degraded_disks),
            (Some(4), Some(3), Some(1))
        );
        assert_eq!(md1.failed_devices, ["sde1"]);
        assert_eq!(md1.spare_devices, ["sdg1"]);
        assert_eq!(md1.sync_action.as_deref(), Some("recovery"));
        assert_eq!(md1.sync_percent, Some(8.5));
        assert!(md1.is_degraded());
    }

    #[test]
    fn a_healthy_mirror_waiting_to_resync_is_not_degraded() {
        let (arrays, _) = parse_mdstat(MDSTAT);
        let md0 = &arrays[1];
        assert!(!md0.is_degraded());
        assert_eq!(md0.sync_action.as_deref(), Some("resync"));
        assert_eq!(md0.sync_waiting.as_deref(), Some("DELAYED"));
    }

    #[test]
    fn read_only_and_inactive_arrays_keep_their_state() {
        let (arrays, _) = parse_mdstat(
            "md127 : inactive sdb[0](S)\n      976762584 blocks super 1.2\n\nmd2 : active (auto-read-only) raid1 sdc[1] sdd[0]\n      1000 blocks [2/2] [UU]\n",
        );
        assert_eq!(arrays[0].state.as_deref(), Some("inactive"));
        assert_eq!(arrays[0].level, None);
        assert_eq!(arrays[1].state.as_deref(), Some("active (auto-read-only)"));
        assert_eq!(arrays[1].level.as_deref(), Some("raid1"));
    }

    #[test]
    fn no_arrays_is_an_empty_list_and_garbage_is_a_problem() {
        assert_eq!(parse_mdstat("Personalities : \nunused devices: <none>\n"), (vec![], vec![]));
        let (_, problems) = parse_mdstat(
            "md0 : active raid1 sda[0]\n      10 blocks [2/3] [U_]\n      recovery = lots\n",
        );
        assert_eq!(problems.len(), 2, "{problems:?}");
        let (_, problems) = parse_mdstat("garbage\n");
        assert_eq!(problems.len(), 1);
    }
}
