//! CTS-like failover measurements (`cargo xtask e2e --cts`, and with `--record`), for each
//! agent and family in the same lab run, one resource each:
//!
//! * 20 moves back and forth between two nodes: the client's outage and the time from the
//!   old holder losing the address to the client's first answer after that (median, max);
//! * node standby of the holder (the address moves) and back online (it stays, stickiness);
//! * the holder-to-be's agent killed (SIGKILL) in the middle of its start: Pacemaker records
//!   the failed start and places the resource elsewhere; the client's outage.
//!
//! The moves and standby run with each agent's defaults. To give the kill a window, IPv4
//! resources then check for duplicates before adding (`run_arping=true`, for ifaddr with
//! `arp_probe=1000`; IPaddr2 runs arping); IPv6 ones wait for duplicate address detection
//! anyway (both agents).

use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{judged, move_watched, remove, resource, settled, start_vip, Tally};
use crate::demo::{wait_for_holder, wait_one_holder};
use crate::lab::{self, names, Agent, Family, Lab, Probe, Samples, NODES};

pub const BEGIN: &str = "<!-- e2e-cts:begin -->";
pub const END: &str = "<!-- e2e-cts:end -->";

const MOVES: usize = 20;

/// What one agent showed for one family, in ms.
pub struct CtsRow {
    pub agent: Agent,
    pub family: Family,
    pub stop_to_reply: (f64, f64),
    pub move_outage: (f64, f64),
    pub standby: f64,
    pub unstandby: f64,
    pub killed_start: f64,
}

fn median_max(mut v: Vec<f64>) -> (f64, f64) {
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    if n == 0 {
        return (0.0, 0.0);
    }
    let med = if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    };
    (med, v[n - 1])
}

/// From the moment the sampler first saw `old` without the address to the client's first
/// answer after it, in ms.
fn stop_to_reply(old: usize, probe: &Probe, samples: &Samples) -> Result<f64, String> {
    let Some((t, _)) = samples.changes.iter().find(|(_, h)| !h.contains(&old)) else {
        return Err(format!(
            "{} never lost the address (holders over time: {})",
            NODES[old],
            samples.story()
        ));
    };
    let stopped = samples.start + t;
    let Some(first) = probe.replies.iter().find(|&&r| r >= stopped) else {
        return Err("no answer after the old holder lost the address".into());
    };
    Ok((first - stopped) * 1000.0)
}

/// The process pattern of `agent`'s start as Pacemaker runs it.
fn start_pattern(agent: Agent) -> &'static str {
    match agent {
        Agent::Ifaddr => "resource.d/ifaddr/vip start",
        Agent::Ipaddr2 => "resource.d/heartbeat/IPaddr2 start",
    }
}

/// Kill `agent`'s start on node `i` as soon as it shows up; `true` once it killed one.
fn start_killer(
    lab: &Lab,
    i: usize,
    agent: Agent,
    stop: Arc<AtomicBool>,
) -> Result<std::thread::JoinHandle<bool>, String> {
    let pid = lab.pid(i)?.to_string();
    let pattern = start_pattern(agent);
    Ok(std::thread::spawn(move || {
        let end = Instant::now() + Duration::from_secs(60);
        while Instant::now() < end && !stop.load(Ordering::SeqCst) {
            let killed = Command::new("nsenter")
                .args(["-t", &pid, "-a", "pkill", "-KILL", "-f", pattern])
                .status()
                .is_ok_and(|s| s.success());
            if killed {
                return true;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        false
    }))
}

/// Put node `i` in standby or back online (the node attribute, as `crm_standby` does; crmsh
/// 4.4's `node standby NODE` left the attribute unset in the lab).
fn set_standby(lab: &Lab, c: usize, i: usize, on: bool) -> Result<(), String> {
    lab::output_all(lab.node_cmd(c, "crm_attribute")?.args([
        "--node",
        NODES[i],
        "--name",
        "standby",
        "--update",
        if on { "on" } else { "off" },
    ]))
    .map(drop)
}

pub fn measure(
    lab: &mut Lab,
    agent: Agent,
    family: Family,
    tally: &mut Tally,
) -> Result<CtsRow, String> {
    let vip = family.vip();
    let rsc = resource("cts", agent, family);
    let c = lab.any_up()?;
    let a = start_vip(lab, c, &rsc, agent.ocf(), family)?;
    let b = (a + 1) % NODES.len();

    // Moves back and forth.
    let mut s2r = Vec::new();
    let mut outages = Vec::new();
    for k in 0..MOVES {
        let (from, to) = if k % 2 == 0 { (a, b) } else { (b, a) };
        let step = format!("cts move {k}");
        let settle = Duration::from_millis(300);
        let (probe, samples, outage) = move_watched(lab, c, &rsc, vip, to, settle, &step)?;
        outages.push(outage);
        s2r.push(stop_to_reply(from, &probe, &samples).map_err(|e| format!("{step}: {e}"))?);
    }
    lab.crm(c, &["resource", "clear", &rsc])?;
    let stop_to_reply = median_max(s2r);
    let move_outage = median_max(outages);
    tally.pass(&format!(
        "{MOVES} moves {} <-> {}: stop to first answer median {:.0} ms, max {:.0} ms; outage median {:.0} ms, max {:.0} ms",
        NODES[a], NODES[b], stop_to_reply.0, stop_to_reply.1, move_outage.0, move_outage.1
    ));

    // Standby of the holder, then back online.
    lab::pause(Duration::from_secs(1))?;
    let h = settled(lab, vip)?;
    let w = lab.watch(vip)?;
    set_standby(lab, c, h, true)?;
    let other = wait_for_holder(lab, vip, Duration::from_secs(90), |x| x != h).map_err(|e| {
        let mon = lab
            .node_cmd(c, "crm_mon")
            .and_then(|mut m| lab::output_all(m.args(["-1", "--show-detail"])))
            .unwrap_or_else(|e| e);
        format!("cts standby: {e}\n{}", lab::indent(&mon))
    })?;
    w.wait_answers(Duration::from_secs(20), Duration::from_millis(300))
        .map_err(|e| format!("cts standby: {e}"))?;
    let (probe, samples) = w.finish();
    let standby = judged("cts standby", &probe, &samples)?;
    let w = lab.watch(vip)?;
    set_standby(lab, c, h, false)?;
    lab::pause(Duration::from_secs(3))?;
    w.wait_answers(Duration::from_secs(20), Duration::from_millis(300))
        .map_err(|e| format!("cts unstandby: {e}"))?;
    let (probe, samples) = w.finish();
    let unstandby = judged("cts unstandby", &probe, &samples)?;
    if settled(lab, vip)? != other {
        return Err(format!(
            "cts unstandby: {vip} left {} ({})",
            NODES[other],
            samples.story()
        ));
    }
    tally.pass(&format!(
        "standby {}: {vip} moves to {}, outage {standby:.0} ms; online again: it stays, outage {unstandby:.0} ms",
        NODES[h], NODES[other]
    ));

    // The agent killed in the middle of a start: first give the start something to wait for.
    if family == Family::V4 {
        lab.crm(c, &["resource", "param", &rsc, "set", "run_arping", "true"])?;
        if agent == Agent::Ifaddr {
            lab.crm(c, &["resource", "param", &rsc, "set", "arp_probe", "1000"])?;
        }
        // The parameter change restarts the resource where it is.
        lab::pause(Duration::from_secs(5))?;
    }
    let from = wait_one_holder(lab, vip, Duration::from_secs(60))?;
    settled(lab, vip)?;
    let to = (from + 1) % NODES.len();
    let stop = Arc::new(AtomicBool::new(false));
    let killer = start_killer(lab, to, agent, stop.clone())?;
    let w = lab.watch(vip)?;
    lab.crm(c, &["resource", "move", &rsc, NODES[to]])?;
    // Pacemaker stops the address on `from`, starts on `to` (killed), then places it on a
    // node other than `to`.
    let killed = lab::wait_for(
        "the start to be killed",
        Duration::from_secs(60),
        Duration::from_millis(50),
        || Ok(killer.is_finished().then_some(())),
    );
    stop.store(true, Ordering::SeqCst);
    let killed = killed.is_ok() && killer.join().unwrap_or(false);
    if !killed {
        return Err(format!(
            "cts kill: {agent:?}'s start on {} was never seen",
            NODES[to]
        ));
    }
    let end = wait_for_holder(lab, vip, Duration::from_secs(90), |x| x != to)?;
    w.wait_answers(Duration::from_secs(30), Duration::from_millis(300))
        .map_err(|e| format!("cts kill: {e}"))?;
    let (probe, samples) = w.finish();
    let killed_start = probe
        .outage_ms()
        .map_err(|e| format!("cts kill: {e} ({})", samples.story()))?;
    let two = if samples.most.len() > 1 {
        format!("; {} held it at once for a moment", names(&samples.most))
    } else {
        String::new()
    };
    tally.pass(&format!(
        "start on {} killed: {vip} ends on {} ({}), outage {killed_start:.0} ms{two}",
        NODES[to],
        NODES[end],
        samples.story()
    ));

    // Remove, for the next one.
    lab.crm(c, &["resource", "clear", &rsc])?;
    lab.crm(c, &["resource", "cleanup", &rsc])?;
    remove(lab, c, &rsc, vip)?;
    tally.pass(&format!("{rsc} stopped and deleted"));
    Ok(CtsRow {
        agent,
        family,
        stop_to_reply,
        move_outage,
        standby,
        unstandby,
        killed_start,
    })
}

pub fn table(rows: &[CtsRow]) -> String {
    let mut t = String::from(
        "| agent | family | move: stop to first answer, median / max | move: outage, median / max | standby | unstandby | start killed |\n\
         |---|---|---:|---:|---:|---:|---:|\n",
    );
    for r in rows {
        t.push_str(&format!(
            "| `{}` | {} | {:.0} / {:.0} ms | {:.0} / {:.0} ms | {:.0} ms | {:.0} ms | {:.0} ms |\n",
            r.agent.ocf(),
            r.family.name(),
            r.stop_to_reply.0,
            r.stop_to_reply.1,
            r.move_outage.0,
            r.move_outage.1,
            r.standby,
            r.unstandby,
            r.killed_start
        ));
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians() {
        assert_eq!(median_max(vec![3.0, 1.0, 2.0]), (2.0, 3.0));
        assert_eq!(median_max(vec![4.0, 1.0, 2.0, 3.0]), (2.5, 4.0));
        assert_eq!(median_max(vec![]), (0.0, 0.0));
    }

    #[test]
    fn stop_to_first_answer() {
        let samples = Samples {
            rounds: 3,
            most: vec![0],
            changes: vec![(0.0, vec![0]), (0.5, vec![]), (0.7, vec![1])],
            start: 100.0,
        };
        let probe = Probe {
            replies: vec![100.1, 100.4, 100.9, 100.91],
            start: 100.0,
            end: 101.0,
        };
        let ms = stop_to_reply(0, &probe, &samples).unwrap();
        assert!((ms - 400.0).abs() < 0.01, "{ms}");
        assert!(stop_to_reply(2, &probe, &samples).is_ok());
        let stuck = Samples {
            changes: vec![(0.0, vec![0])],
            ..samples
        };
        assert!(stop_to_reply(0, &probe, &stuck).is_err());
    }
}
