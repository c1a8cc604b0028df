//! `cargo xtask e2e`: the demo's cluster scenario as assertions, for IPv4 and IPv6, with
//! `ocf:ifaddr:vip` and `ocf:heartbeat:IPaddr2` side by side in one lab.
//!
//! For each agent and address family, one resource goes through: start, move, clear,
//! power-off failover, rejoin of the failed node, removal. After each step exactly one
//! node holds the address and the client reaches it; during each step every node's
//! addresses are sampled over and over, and two holders at once is a failure. The
//! Once, after the `ocf:ifaddr:vip` IPv4 run: with the `strict` WebAssembly policy, the
//! holder's link (a second cable, `eth1`, that Corosync does not use) is cut at the switch;
//! the policy fails the monitor and the address moves while the node stays online. The
//! client-observed outage of every step is printed (and, with `--record`, written into
//! BENCHMARKS.md between `<!-- e2e-outage:begin -->` and `<!-- e2e-outage:end -->`).
//! Then a split brain: with a depth-20 monitor (`OCF_CHECK_LEVEL=20`) and `run_arping`, the
//! address is added by hand on a second node; the holder's monitor sees the other node answer
//! for it, Pacemaker moves the resource away, and in the end exactly one node holds it.
//!
//! With `--cts` (implied by `--record`), the CTS-like measurements of `e2e/cts.rs` follow
//! each agent's and family's run: 20 moves back and forth, standby and back, and an agent
//! killed in the middle of its start.
//!
//! Then (alone with `--migration`), per family, the migration README describes: a cluster
//! serving an IPaddr2 address
//! switches the resource to `ocf:ifaddr:vip` in place (`crm configure load update`); the
//! client's outage is recorded beside a move's (measured just before, on the same resource)
//! and may exceed it by at most the time Pacemaker takes to probe the new agent (1.5 s),
//! and never two holders.
//!
//! Options:
//!   --agent ifaddr|ipaddr2|both   (default both)
//!   --migration                   only the IPaddr2 -> ifaddr migration
//!   --family 4|6|both             (default both)
//!   --cts                         also the CTS-like measurements (e2e/cts.rs)
//!   --record                      write the outage tables into BENCHMARKS.md (implies --cts)
//!   --keep                        leave the lab running if a check fails, to look at it

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, Instant};

use crate::demo::{wait_for_holder, wait_holders, wait_one_holder};
use crate::lab::{self, names, Agent, Family, Lab, Probe, Samples, NODES};
use crate::util::root;

mod cts;

const USAGE: &str = "usage: cargo xtask e2e [--agent ifaddr|ipaddr2|both] [--family 4|6|both] \
                     [--migration] [--cts] [--record] [--keep]";
const BEGIN: &str = "<!-- e2e-outage:begin -->";
const END: &str = "<!-- e2e-outage:end -->";

/// The outages one agent showed for one family, in ms.
struct Row {
    agent: Agent,
    family: Family,
    moved: f64,
    cleared: f64,
    failover: f64,
    rejoin: f64,
}

/// Counts the checks, for the closing "N passed, N failed" line.
struct Tally {
    passed: usize,
    t0: Instant,
}

impl Tally {
    fn pass(&mut self, what: &str) {
        self.passed += 1;
        println!("  ok  {what}  [{:.0} s]", self.t0.elapsed().as_secs_f64());
    }
}

pub fn run(args: &[String]) -> Result<(), String> {
    let mut agents = vec![Agent::Ifaddr, Agent::Ipaddr2];
    let mut families = vec![Family::V4, Family::V6];
    let mut record = false;
    let mut cts = false;
    let mut keep = false;
    let mut migration_only = false;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--agent" => {
                agents = match it.next().map(String::as_str) {
                    Some("both") => vec![Agent::Ifaddr, Agent::Ipaddr2],
                    Some(v) => vec![Agent::parse(v)?],
                    None => return Err(format!("--agent needs a value\n{USAGE}")),
                }
            }
            "--family" => {
                families = match it.next().map(String::as_str) {
                    Some("4") => vec![Family::V4],
                    Some("6") => vec![Family::V6],
                    Some("both") => vec![Family::V4, Family::V6],
                    _ => return Err(format!("--family takes 4, 6 or both\n{USAGE}")),
                }
            }
            "--record" => {
                record = true;
                cts = true;
            }
            "--cts" => cts = true,
            "--migration" => migration_only = true,
            "--keep" => keep = true,
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            other => return Err(format!("unknown e2e option `{other}`\n{USAGE}")),
        }
    }
    lab::catch_interrupts();
    let mut tally = Tally {
        passed: 0,
        t0: Instant::now(),
    };
    if migration_only {
        agents.clear();
    }
    let result = scenarios(&agents, &families, keep, cts, &mut tally);
    match result {
        Ok((rows, cts_rows)) => {
            print_table(&rows);
            if cts {
                println!("\nCTS-like measurements (client-observed, 10 ms ping):\n");
                print!("{}", cts::table(&cts_rows));
                println!();
            }
            if record {
                write_record(&rows)?;
                write_cts_record(&cts_rows)?;
                println!("outages written into BENCHMARKS.md");
            }
            println!("e2e: {} passed, 0 failed", tally.passed);
            Ok(())
        }
        Err(e) => {
            if keep && !lab::interrupted() && lab::leftovers_exist(&lab::lab_dir()) {
                println!("the lab is left running (--keep):");
                for line in lab::access_lines() {
                    println!("  {line}");
                }
            }
            println!("FAIL {}", e.lines().next().unwrap_or(""));
            println!("e2e: {} passed, 1 failed", tally.passed);
            Err(format!("e2e failed: {e}"))
        }
    }
}

fn scenarios(
    agents: &[Agent],
    families: &[Family],
    keep: bool,
    with_cts: bool,
    tally: &mut Tally,
) -> Result<(Vec<Row>, Vec<cts::CtsRow>), String> {
    println!("e2e: prerequisites");
    lab::ensure_prerequisites()?;
    // The migration scenario needs both agents: it runs after the others when both are
    // tested (the default), or alone with --migration.
    let migration =
        agents.is_empty() || (agents.contains(&Agent::Ifaddr) && agents.contains(&Agent::Ipaddr2));
    let binary = if migration || agents.contains(&Agent::Ifaddr) {
        Some(lab::build_ifaddr()?)
    } else {
        None
    };
    tally.t0 = Instant::now();
    println!("e2e: starting the three-node lab");
    let mut lab = Lab::create(binary.as_deref(), &mut |line| println!("      {line}"))?;
    lab.wait_online(Duration::from_secs(120))?;
    tally.pass("three nodes online with a DC");
    // Failure keeps the lab for a look only when asked; Ctrl-C always removes it.
    if keep {
        lab.keep();
    }
    lab.crm(0, &["configure", "property", "stonith-enabled=false"])?;
    // Stickiness: once placed, the address stays where it is (a rejoining node must not
    // pull it back).
    lab.crm(0, &["configure", "rsc_defaults", "resource-stickiness=100"])?;
    tally.pass("cluster configured (stonith-enabled=false, resource-stickiness=100)");

    let mut rows = Vec::new();
    let mut cts_rows = Vec::new();
    for &family in families {
        for &agent in agents {
            println!("\ne2e: {} with {}", family.name(), agent.ocf());
            rows.push(scenario(&mut lab, agent, family, tally)?);
            if agent == Agent::Ifaddr && family == Family::V4 {
                println!("\ne2e: IPv4 with {} and the strict policy", agent.ocf());
                policy_scenario(&lab, tally)?;
                println!("\ne2e: IPv4 with {}: split brain", agent.ocf());
                split_brain_scenario(&lab, tally)?;
            }
            if with_cts {
                println!(
                    "\ne2e: {} with {}: CTS-like measurements",
                    family.name(),
                    agent.ocf()
                );
                cts_rows.push(cts::measure(&mut lab, agent, family, tally)?);
            }
        }
    }
    if migration {
        for &family in families {
            println!(
                "\ne2e: {} migration from ocf:heartbeat:IPaddr2 to ocf:ifaddr:vip",
                family.name()
            );
            migration_scenario(&lab, family, tally)?;
        }
    }
    // Success: the lab goes whatever --keep said; check that it is really gone.
    lab.teardown()?;
    if lab::leftovers_exist(&lab::lab_dir()) {
        return Err("the lab left namespaces or files behind".into());
    }
    tally.pass("lab removed: no namespace, process or file left");
    Ok((rows, cts_rows))
}

/// Check what a watched step showed: never two holders, and the client's outage.
fn judged(step: &str, probe: &Probe, samples: &Samples) -> Result<f64, String> {
    if samples.most.len() > 1 {
        return Err(format!(
            "{step}: {} held the address at the same time (holders over time: {})",
            names(&samples.most),
            samples.story()
        ));
    }
    probe
        .outage_ms()
        .map_err(|e| format!("{step}: {e} (holders over time: {})", samples.story()))
}

fn settled(lab: &Lab, vip: &str) -> Result<usize, String> {
    let h = lab.holders(vip);
    let [one] = h.as_slice() else {
        return Err(format!(
            "{vip} is held by {} (want exactly one node)",
            names(&h)
        ));
    };
    lab.client_reaches(vip)?;
    Ok(*one)
}

/// A resource's name: `kind`, the family's number and the agent.
fn resource(kind: &str, agent: Agent, family: Family) -> String {
    let n = if family == Family::V4 { 4 } else { 6 };
    format!("{kind}{n}_{}", agent.name())
}

/// `crm configure primitive RSC OCF params PARAMS... op monitor interval=2s timeout=20s OP...`
/// on node `c`: how every scenario configures its address, monitored every 2 s.
fn configure(
    lab: &Lab,
    c: usize,
    rsc: &str,
    ocf: &str,
    params: &[&str],
    op: &[&str],
) -> Result<(), String> {
    let mut args = vec!["configure", "primitive", rsc, ocf, "params"];
    args.extend_from_slice(params);
    args.extend_from_slice(&["op", "monitor", "interval=2s", "timeout=20s"]);
    args.extend_from_slice(op);
    lab.crm(c, &args).map(drop)
}

/// Configure `family`'s address (its only parameters: address and prefix length) as `rsc` of
/// agent `ocf` on node `c`, and wait until one node holds it and the client reaches it: that
/// node.
fn start_vip(lab: &Lab, c: usize, rsc: &str, ocf: &str, family: Family) -> Result<usize, String> {
    let vip = family.vip();
    let ip_param = format!("ip={vip}");
    let mask = format!("cidr_netmask={}", family.prefix_len());
    configure(lab, c, rsc, ocf, &[&ip_param, &mask], &[])?;
    started(lab, vip, Duration::from_millis(500))
}

/// `ocf:ifaddr:vip` for `vip`/24 with `params` as `rsc` (configured on the first node that is
/// up), moved away after one failed monitor (`migration-threshold=1`), its monitor operation
/// with `op`; started as [`start_vip`] starts one, with a couple of monitors (3 s) before the
/// client is asked.
fn start_one_strike(
    lab: &Lab,
    rsc: &str,
    vip: &str,
    params: &[&str],
    op: &[&str],
) -> Result<usize, String> {
    let ip_param = format!("ip={vip}");
    let mut all = vec![ip_param.as_str(), "cidr_netmask=24"];
    all.extend_from_slice(params);
    all.extend_from_slice(&["meta", "migration-threshold=1"]);
    configure(lab, lab.any_up()?, rsc, "ocf:ifaddr:vip", &all, op)?;
    started(lab, vip, Duration::from_secs(3))
}

/// Wait until one node holds `vip`, then `pause`, then until the client reaches it: that node.
fn started(lab: &Lab, vip: &str, pause: Duration) -> Result<usize, String> {
    wait_one_holder(lab, vip, Duration::from_secs(60))?;
    lab::pause(pause)?;
    settled(lab, vip)
}

/// Move `rsc` to node `to` (from node `c`) while the client pings `vip`; wait until `to` alone
/// holds it and the client has had answers for `settle`. What the client saw, and its outage
/// (`step` names the move in errors).
fn move_watched(
    lab: &Lab,
    c: usize,
    rsc: &str,
    vip: &str,
    to: usize,
    settle: Duration,
    step: &str,
) -> Result<(Probe, Samples, f64), String> {
    let w = lab.watch(vip)?;
    lab.crm(c, &["resource", "move", rsc, NODES[to]])?;
    wait_holders(lab, vip, &[to], Duration::from_secs(60))?;
    w.wait_answers(Duration::from_secs(20), settle)
        .map_err(|e| format!("{step}: {e}"))?;
    let (probe, samples) = w.finish();
    let outage = judged(step, &probe, &samples)?;
    Ok((probe, samples, outage))
}

/// Stop `rsc` (from node `c`), wait until no node holds `vip`, and delete it.
fn remove(lab: &Lab, c: usize, rsc: &str, vip: &str) -> Result<(), String> {
    lab.crm(c, &["resource", "stop", rsc])?;
    wait_holders(lab, vip, &[], Duration::from_secs(60))?;
    lab.crm(c, &["configure", "delete", rsc]).map(drop)
}

fn scenario(lab: &mut Lab, agent: Agent, family: Family, tally: &mut Tally) -> Result<Row, String> {
    let vip = family.vip();
    let rsc = resource("vip", agent, family);
    let c = lab.any_up()?;

    // Start.
    let first = start_vip(lab, c, &rsc, agent.ocf(), family)?;
    tally.pass(&format!(
        "start: {vip} on {} only; the client reaches it",
        NODES[first]
    ));

    // Move.
    let target = (first + 1) % NODES.len();
    let half = Duration::from_millis(500);
    let (_, samples, moved) = move_watched(lab, c, &rsc, vip, target, half, "move")?;
    settled(lab, vip)?;
    tally.pass(&format!(
        "move to {}: {} ({} samples, never two); client outage {moved:.0} ms",
        NODES[target],
        samples.story(),
        samples.rounds
    ));

    // Clear the move's constraint: with stickiness, the address stays.
    let w = lab.watch(vip)?;
    lab.crm(c, &["resource", "clear", &rsc])?;
    lab::pause(Duration::from_secs(3))?;
    w.wait_answers(Duration::from_secs(20), Duration::from_millis(500))
        .map_err(|e| format!("clear: {e}"))?;
    let (probe, samples) = w.finish();
    let cleared = judged("clear", &probe, &samples)?;
    let after_clear = settled(lab, vip)?;
    tally.pass(&format!(
        "clear: {vip} on {} ({} samples, never two); client outage {cleared:.0} ms",
        NODES[after_clear], samples.rounds
    ));

    // Power off the holder.
    let victim = after_clear;
    let w = lab.watch(vip)?;
    lab.power_off(victim)?;
    let survivor = wait_for_holder(lab, vip, Duration::from_secs(90), |h| h != victim)?;
    w.wait_answers(Duration::from_secs(20), Duration::from_millis(500))
        .map_err(|e| format!("power-off failover: {e}"))?;
    let (probe, samples) = w.finish();
    let failover = judged("power-off failover", &probe, &samples)?;
    settled(lab, vip)?;
    tally.pass(&format!(
        "power off {}: {} ({} samples, never two); client outage {failover:.0} ms",
        NODES[victim],
        samples.story(),
        samples.rounds
    ));

    // Rejoin: the failed node comes back; the address must stay where it is.
    lab.wait_online(Duration::from_secs(60))?;
    let w = lab.watch(vip)?;
    lab.power_on(victim)?;
    lab.wait_online(Duration::from_secs(120))?;
    // Let Pacemaker probe the resource on the returning node and settle.
    lab::pause(Duration::from_secs(5))?;
    w.wait_answers(Duration::from_secs(20), Duration::from_millis(500))
        .map_err(|e| format!("rejoin: {e}"))?;
    let (probe, samples) = w.finish();
    let rejoin = judged("rejoin", &probe, &samples)?;
    let after = settled(lab, vip)?;
    if after != survivor {
        return Err(format!(
            "rejoin: {} came back and {vip} moved from {} to {} (holders over time: {})",
            NODES[victim],
            NODES[survivor],
            NODES[after],
            samples.story()
        ));
    }
    tally.pass(&format!(
        "{} rejoined: {vip} stays on {} ({} samples, never two); client outage {rejoin:.0} ms",
        NODES[victim], NODES[survivor], samples.rounds
    ));

    // Remove the resource, for the next agent.
    remove(lab, c, &rsc, vip)?;
    tally.pass(&format!("stop and delete {rsc}: no node holds {vip}"));

    Ok(Row {
        agent,
        family,
        moved,
        cleared,
        failover,
        rejoin,
    })
}

/// README's migration, as a cluster runs it: an IPaddr2 resource is moved once (the outage
/// to beat), then switched in place to ocf:ifaddr:vip with `crm configure load update`.
fn migration_scenario(lab: &Lab, family: Family, tally: &mut Tally) -> Result<(), String> {
    let vip = family.vip();
    let rsc = format!("mig{}", if family == Family::V4 { 4 } else { 6 });
    let c = lab.any_up()?;
    let first = start_vip(lab, c, &rsc, Agent::Ipaddr2.ocf(), family)?;
    tally.pass(&format!(
        "{rsc} ({}) serves {vip} on {}",
        Agent::Ipaddr2.ocf(),
        NODES[first]
    ));

    // The reference: one move of the IPaddr2 resource.
    let target = (first + 1) % NODES.len();
    let half = Duration::from_millis(500);
    let step = "migration reference move";
    let (_, _, moved) = move_watched(lab, c, &rsc, vip, target, half, step)?;
    lab.crm(c, &["resource", "clear", &rsc])?;
    lab::pause(Duration::from_secs(2))?;
    let holder = settled(lab, vip)?;
    tally.pass(&format!(
        "reference move of the IPaddr2 resource to {}: client outage {moved:.0} ms",
        NODES[holder]
    ));

    // The migration: the same primitive, its agent changed, loaded over the old one.
    let shown = lab.crm(c, &["configure", "show", &rsc])?;
    // crm shows ocf:heartbeat agents by their type alone; README's sed takes either form.
    let changed = shown
        .lines()
        .map(|l| {
            for old in [Agent::Ipaddr2.ocf(), "IPaddr2"] {
                let head = format!("primitive {rsc} {old}");
                match l.strip_prefix(&head) {
                    Some(rest) if rest.is_empty() || rest.starts_with(' ') => {
                        return format!("primitive {rsc} {}{rest}", Agent::Ifaddr.ocf());
                    }
                    _ => {}
                }
            }
            l.to_owned()
        })
        .collect::<Vec<_>>()
        .join("\n");
    if !changed.contains(Agent::Ifaddr.ocf()) {
        return Err(format!(
            "crm configure show {rsc}: no IPaddr2 primitive:\n{shown}"
        ));
    }
    let file = lab::lab_dir().join(format!("{rsc}.crm"));
    fs::write(&file, &changed).map_err(|e| format!("{}: {e}", file.display()))?;
    let w = lab.watch(vip)?;
    let path = file.to_string_lossy().into_owned();
    lab.crm(c, &["configure", "load", "update", &path])?;
    lab::wait_for(
        "the resource to run ocf:ifaddr:vip",
        Duration::from_secs(60),
        Duration::from_millis(200),
        || {
            let now = lab.crm(c, &["configure", "show", &rsc]).unwrap_or_default();
            let status = lab
                .crm(c, &["resource", "status", &rsc])
                .unwrap_or_default();
            Ok((now.contains(Agent::Ifaddr.ocf()) && status.contains("running")).then_some(()))
        },
    )?;
    wait_one_holder(lab, vip, Duration::from_secs(60))?;
    w.wait_answers(Duration::from_secs(20), Duration::from_millis(500))
        .map_err(|e| format!("migration: {e}"))?;
    let (probe, samples) = w.finish();
    let _ = fs::remove_file(&file);
    let migrated = judged("migration", &probe, &samples)?;
    let after = settled(lab, vip)?;
    // Two stop-and-start cycles differ by some tens of ms (Pacemaker scheduling, the 10 ms
    // ping), and a changed agent is first probed on every node, which a move is not: on an
    // idle machine the two were within 20 ms, on a loaded one (load average 12) 1199 against
    // 202 ms. The bound is a move plus 1.5 s, so that only a real stall fails.
    let slack = 1500.0;
    if migrated > moved + slack {
        return Err(format!(
            "migration: client outage {migrated:.0} ms, longer than a move's {moved:.0} ms \
             (holders over time: {})",
            samples.story()
        ));
    }
    tally.pass(&format!(
        "{rsc} switched to {} (now on {}): client outage {migrated:.0} ms (a move: \
         {moved:.0} ms), never two holders",
        Agent::Ifaddr.ocf(),
        NODES[after]
    ));
    remove(lab, c, &rsc, vip)?;
    tally.pass(&format!("stop and delete {rsc}: no node holds {vip}"));
    Ok(())
}

/// The split-brain scenario's address.
const SPLIT_VIP: &str = "192.0.2.202";

/// A split brain: the address is added by hand on a node that does not run the resource.
/// The holder's depth-20 monitor (an ARP probe every 2 s) sees another MAC answer and fails;
/// with `migration-threshold=1` Pacemaker stops it there (which removes the address) and
/// starts it elsewhere, where `run_arping` refuses it on any node but the one that has it by
/// hand, and start on that one finds it already there. Exactly one node holds the address in
/// the end, and Pacemaker runs the resource there.
fn split_brain_scenario(lab: &Lab, tally: &mut Tally) -> Result<(), String> {
    let vip = SPLIT_VIP;
    let rsc = "IPSB";
    let c = lab.any_up()?;
    let arping = ["run_arping=true"];
    let first = start_one_strike(lab, rsc, vip, &arping, &["OCF_CHECK_LEVEL=20"])?;
    tally.pass(&format!(
        "split-brain start: {vip} on {} only, monitored at depth 20",
        NODES[first]
    ));

    // Another node gets the address by hand: two holders.
    let rogue = (first + 1) % NODES.len();
    let cidr = format!("{vip}/24");
    let t0 = Instant::now();
    lab::output_all(
        lab.node_cmd(rogue, "ip")?
            .args(["addr", "add", &cidr, "dev", "eth0"]),
    )?;
    // Pacemaker recovers: the resource ends on the node that has the address by hand, alone.
    lab::wait_for(
        "exactly one node to hold the address, and Pacemaker to run the resource there",
        Duration::from_secs(90),
        Duration::from_millis(200),
        || {
            let h = lab.holders(vip);
            if h != [rogue] {
                return Ok(None);
            }
            let mon = lab::output_all(lab.node_cmd(c, "crm_resource")?.args([
                "--resource",
                rsc,
                "--locate",
            ]))?;
            Ok(mon
                .contains(&format!("is running on: {}", NODES[rogue]))
                .then_some(()))
        },
    )
    .map_err(|e| {
        format!(
            "split brain: {e} (holders now: {})\n{}",
            names(&lab.holders(vip)),
            lab.diagnostics()
        )
    })?;
    let recovered = t0.elapsed();
    // The client may still send to the first holder's MAC: start on the node that had the
    // address by hand found it there and announced nothing, so the client's ARP entry has
    // to go stale and be probed again first (up to about a minute with Linux's defaults).
    lab::wait_for(
        &format!("the client to reach {vip} on {}", NODES[rogue]),
        Duration::from_secs(90),
        Duration::from_millis(200),
        || Ok(lab.client_ping(vip, 1).ok().map(drop)),
    )?;
    let reached = t0.elapsed();
    // It stays that way: a few more depth-20 monitors pass.
    lab::pause(Duration::from_secs(5))?;
    let holder = settled(lab, vip)?;
    if holder != rogue {
        return Err(format!(
            "split brain: {vip} went on to {} after settling on {}",
            NODES[holder], NODES[rogue]
        ));
    }
    let mon = lab::output_all(lab.node_cmd(c, "crm_mon")?.args(["-1", "--show-detail"]))?;
    let failed = mon
        .lines()
        .find(|l| l.contains("monitor") && l.contains("split brain"))
        .map(|l| l.trim().to_owned())
        .unwrap_or_default();
    if failed.is_empty() {
        return Err(format!(
            "split brain: crm_mon shows no failed depth-20 monitor naming the split brain:\n{}",
            lab::indent(&mon)
        ));
    }
    println!("      crm_mon: {failed}");
    tally.pass(&format!(
        "split brain ({vip} added by hand on {}): the depth-20 monitor on {} fails, Pacemaker recovers; {} alone holds it and runs {rsc}, {:.1} s after the address was added; the client reaches it after {:.1} s",
        NODES[rogue],
        NODES[first],
        NODES[rogue],
        recovered.as_secs_f64(),
        reached.as_secs_f64()
    ));

    lab.crm(c, &["resource", "cleanup", rsc])?;
    remove(lab, c, rsc, vip)?;
    tally.pass(&format!(
        "{rsc} cleaned up, stopped and deleted: no node holds {vip}"
    ));
    Ok(())
}

/// The policy scenario's address, interface and switch ports (one per node).
const POLICY_VIP: &str = "192.0.2.201";
const POLICY_NIC: &str = "eth1";

fn policy_port(i: usize) -> String {
    format!("{}-vip", NODES[i])
}

fn ip_cmd(args: &[&str]) -> Result<String, String> {
    lab::output(std::process::Command::new("ip").args(args))
}

/// With the `strict` WebAssembly policy, cut the holder's link without touching its
/// stack: the policy fails the monitor (no carrier) and Pacemaker moves the address,
/// while the node stays in the cluster. The address lives on a second cable per node
/// (`eth1`), so that Corosync, on `eth0`, keeps running.
fn policy_scenario(lab: &Lab, tally: &mut Tally) -> Result<(), String> {
    let vip = POLICY_VIP;
    let rsc = "IPP";
    let c = lab.any_up()?;

    // The policy: a root-owned 0644 file in a root-owned 0755 directory of the lab.
    let built = root().join("policies/target/dist/strict.wasm");
    if !built.exists() {
        crate::policies::run(&[])?;
    }
    let pdir = lab::lab_dir().join("policy");
    fs::create_dir_all(&pdir).map_err(|e| format!("cannot create {}: {e}", pdir.display()))?;
    fs::set_permissions(&pdir, fs::Permissions::from_mode(0o755))
        .map_err(|e| format!("cannot chmod {}: {e}", pdir.display()))?;
    let policy = pdir.join("strict.wasm");
    fs::copy(&built, &policy).map_err(|e| format!("cannot copy {}: {e}", built.display()))?;
    fs::set_permissions(&policy, fs::Permissions::from_mode(0o644))
        .map_err(|e| format!("cannot chmod {}: {e}", policy.display()))?;

    // Per node: a private cache (nothing on the host's /var/cache) into which the policy is
    // compiled with `ifaddrc`, as an admin does on each node, and a second cable to the
    // bridge.
    let ifaddrc = crate::dist::host_ifaddrc()?;
    let ifaddrc = ifaddrc.to_str().ok_or("ifaddrc's path is not UTF-8")?;
    for i in 0..NODES.len() {
        lab::output_all(lab.node_cmd(i, "mount")?.args([
            "-t",
            "tmpfs",
            "-o",
            "mode=0755",
            "lab-cache",
            "/var/cache",
        ]))?;
        lab::output_all(lab.node_cmd(i, ifaddrc)?.arg("compile").arg(&policy))?;
        let port = policy_port(i);
        let ns = lab::netns(i);
        ip_cmd(&[
            "-n",
            lab::SWITCH,
            "link",
            "add",
            &port,
            "type",
            "veth",
            "peer",
            "name",
            POLICY_NIC,
            "netns",
            &ns,
        ])?;
        ip_cmd(&[
            "-n",
            lab::SWITCH,
            "link",
            "set",
            &port,
            "master",
            lab::BRIDGE,
            "up",
        ])?;
        ip_cmd(&["-n", &ns, "link", "set", POLICY_NIC, "up"])?;
    }

    let nic_param = format!("nic={POLICY_NIC}");
    let policy_param = format!("policy={}", policy.display());
    // One failed monitor (the policy's verdict) is enough to move the address away; in the
    // couple of monitors before the client is asked, the policy's artifact loads and it
    // says running.
    let first = start_one_strike(lab, rsc, vip, &[&nic_param, &policy_param], &[])?;
    tally.pass(&format!(
        "policy start: {vip} on {} {POLICY_NIC} only; the client reaches it",
        NODES[first]
    ));

    // Cut: the switch side of the holder's eth1 goes down; the node's eth1 stays up
    // but loses carrier, and its eth0 (Corosync) is untouched.
    let w = lab.watch(vip)?;
    let port = policy_port(first);
    ip_cmd(&["-n", lab::SWITCH, "link", "set", &port, "down"])?;
    let other = wait_for_holder(lab, vip, Duration::from_secs(30), |h| h != first)?;
    w.wait_answers(Duration::from_secs(20), Duration::from_millis(500))
        .map_err(|e| format!("policy failover: {e}"))?;
    let (probe, samples) = w.finish();
    let outage = judged("policy failover", &probe, &samples)?;
    settled(lab, vip)?;
    let (online, dc) = lab.membership(c)?;
    if !dc || online.len() != NODES.len() {
        return Err(format!(
            "policy failover: the cluster sees {} online (want all, with a DC)",
            names(&online)
        ));
    }
    let mon = lab::output_all(lab.node_cmd(c, "crm_mon")?.args(["-1", "--show-detail"]))?;
    let Some(failed) = mon
        .lines()
        .find(|l| l.contains("monitor") && l.contains(NODES[first]) && l.contains("no carrier"))
    else {
        return Err(format!(
            "policy failover: crm_mon shows no failed monitor on {} with the policy's reason:\n{}",
            NODES[first],
            lab::indent(&mon)
        ));
    };
    println!("      crm_mon: {}", failed.trim());
    tally.pass(&format!(
        "cut {}'s {POLICY_NIC} link: the policy fails the monitor (no carrier), {vip} moves to {}: {} ({} samples, never two); {} stays online; client outage {outage:.0} ms",
        NODES[first],
        NODES[other],
        samples.story(),
        samples.rounds,
        NODES[first]
    ));

    // Restore, clean up, remove.
    ip_cmd(&["-n", lab::SWITCH, "link", "set", &port, "up"])?;
    lab.crm(c, &["resource", "cleanup", rsc])?;
    remove(lab, c, rsc, vip)?;
    for i in 0..NODES.len() {
        ip_cmd(&["-n", lab::SWITCH, "link", "del", &policy_port(i)])?;
        lab::output_all(lab.node_cmd(i, "umount")?.arg("/var/cache"))?;
    }
    tally.pass(&format!(
        "link restored, {rsc} cleaned up, stopped and deleted: no node holds {vip}"
    ));
    Ok(())
}

fn table(rows: &[Row]) -> String {
    let mut t = String::from(
        "| agent | family | move | clear | power-off failover | rejoin |\n\
         |---|---|---:|---:|---:|---:|\n",
    );
    for r in rows {
        t.push_str(&format!(
            "| `{}` | {} | {:.0} ms | {:.0} ms | {:.0} ms | {:.0} ms |\n",
            r.agent.ocf(),
            r.family.name(),
            r.moved,
            r.cleared,
            r.failover,
            r.rejoin
        ));
    }
    t
}

fn print_table(rows: &[Row]) {
    println!("\nclient-observed outage (longest time between two answers to a 10 ms ping):\n");
    print!("{}", table(rows));
    println!();
}

/// Where and when a record is made: "on DATE (Linux RELEASE, N CPUs)".
fn recorded_on() -> String {
    let date = lab::output(std::process::Command::new("date").args(["-u", "+%Y-%m-%d"]))
        .unwrap_or_default();
    let kernel = fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let cpus = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(0);
    format!("on {} (Linux {}, {cpus} CPUs)", date.trim(), kernel.trim())
}

/// Put `section` (which starts with `begin` and ends with `end`) into BENCHMARKS.md: in place
/// of the one between the same markers, or at the end under `heading`.
fn write_section(begin: &str, end: &str, heading: &str, section: &str) -> Result<(), String> {
    let path = root().join("BENCHMARKS.md");
    let old = fs::read_to_string(&path).unwrap_or_default();
    fs::write(&path, splice(&old, section, [begin, end], heading))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

fn write_record(rows: &[Row]) -> Result<(), String> {
    let section = format!(
        "{BEGIN}\n\
         Client-observed outage of a floating address in the three-node lab of `cargo xtask e2e`\n\
         (network namespaces on one machine, Corosync knet with a 1000 ms token, Pacemaker,\n\
         no fencing): the longest time between two answers to the client's 10 ms ping, per step.\n\
         Clear and rejoin move nothing: their few tens of ms are the ping's own jitter on a busy\n\
         machine. Power-off is dominated by Corosync noticing the loss (token 1000 ms plus\n\
         consensus 1200 ms, more when the lost node was the DC) and varies by a second or two\n\
         between runs; IPv6 adds duplicate address detection (about 1 s) on the new holder.\n\
         Recorded by `cargo xtask e2e --record` {}, one run.\n\n{}{END}",
        recorded_on(),
        table(rows)
    );
    write_section(BEGIN, END, FAILOVER, &section)
}

fn write_cts_record(rows: &[cts::CtsRow]) -> Result<(), String> {
    let section = format!(
        "{}\n\
         CTS-like measurements in the same lab and run (xtask/src/e2e/cts.rs), one resource per\n\
         agent and family: 20 moves back and forth between two nodes (from the old holder losing\n\
         the address to the client's first answer, and the client's outage), the holder put in\n\
         standby (the address moves) and back online (it stays), and the new holder's agent\n\
         killed with SIGKILL in the middle of its start (IPv4 with `run_arping=true`, ifaddr with\n\
         `arp_probe=1000`; IPv6 waiting for duplicate address detection), after which Pacemaker\n\
         places the resource elsewhere. Recorded by `cargo xtask e2e --record` {}, one run.\n\n\
         {}{}",
        cts::BEGIN,
        recorded_on(),
        cts::table(rows),
        cts::END
    );
    let heading = "## CTS-like failover measurements (e2e)";
    write_section(cts::BEGIN, cts::END, heading, &section)
}

const FAILOVER: &str = "## Cluster failover (e2e)";

/// `old` with the text between `begin` and `end` (included) replaced by `section`; the
/// section is added at the end under `heading` when the markers are missing.
fn splice(old: &str, section: &str, [begin, end]: [&str; 2], heading: &str) -> String {
    match (old.find(begin), old.find(end)) {
        (Some(b), Some(e)) if b < e => {
            format!("{}{section}{}", &old[..b], &old[e + end.len()..])
        }
        _ if old.trim().is_empty() => format!("# Benchmarks\n\n{heading}\n\n{section}\n"),
        _ => format!("{}\n\n{heading}\n\n{section}\n", old.trim_end()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MARKS: [&str; 2] = [BEGIN, END];

    #[test]
    fn splice_replaces_only_between_the_markers() {
        let old = format!("# B\n\nbefore\n{BEGIN}\nold table\n{END}\nafter\n");
        let new = splice(&old, &format!("{BEGIN}\nnew table\n{END}"), MARKS, FAILOVER);
        assert_eq!(
            new,
            format!("# B\n\nbefore\n{BEGIN}\nnew table\n{END}\nafter\n")
        );
    }

    #[test]
    fn splice_appends_a_section_when_the_markers_are_missing() {
        let new = splice(
            "# B\n\nother numbers\n",
            &format!("{BEGIN}\nt\n{END}"),
            MARKS,
            FAILOVER,
        );
        assert!(new.starts_with("# B\n\nother numbers\n\n## Cluster failover (e2e)\n"));
        assert!(new.ends_with(&format!("{BEGIN}\nt\n{END}\n")));
        let fresh = splice("", &format!("{BEGIN}\nt\n{END}"), MARKS, FAILOVER);
        assert!(fresh.starts_with("# Benchmarks\n"));
    }

    #[test]
    fn table_has_one_row_per_agent_and_family() {
        let rows = [Row {
            agent: Agent::Ifaddr,
            family: Family::V6,
            moved: 12.4,
            cleared: 0.0,
            failover: 3456.6,
            rejoin: 11.0,
        }];
        let t = table(&rows);
        assert!(t.contains("| `ocf:ifaddr:vip` | IPv6 | 12 ms | 0 ms | 3457 ms | 11 ms |"));
        assert_eq!(t.lines().count(), 3);
    }
}
