//! `cargo xtask demo`: a three-node Pacemaker cluster in network namespaces moving a
//! virtual IP, told step by step (see docs/demo.md).
//!
//! Options:
//!   --agent ifaddr|ipaddr2   the agent behind the address (default: ifaddr, built here)
//!   --keep                   leave the lab running at the end, and print how to enter it
//!   --down                   remove a lab left by --keep (or by a killed run), then stop

use std::time::{Duration, Instant};

use crate::lab::{self, names, Agent, Family, Lab, NODES};

const USAGE: &str = "usage: cargo xtask demo [--agent ifaddr|ipaddr2] [--keep] | --down";
const STEPS: usize = 9;

struct Story {
    step: usize,
    t0: Instant,
}

impl Story {
    fn step(&mut self, title: &str) {
        self.step += 1;
        self.t0 = Instant::now();
        println!("\n[{}/{STEPS}] {title}", self.step);
    }
    fn ok(&self, what: &str) {
        println!("  ok  {what}  ({:.1} s)", self.t0.elapsed().as_secs_f64());
    }
}

fn say(what: &str) {
    println!("      {what}");
}

/// Show a command as typed at a node's prompt, run it there, show what it printed.
fn crm_shown(lab: &Lab, node: usize, args: &[&str]) -> Result<String, String> {
    println!("      {}# crm {}", NODES[node], args.join(" "));
    let out = lab.crm(node, args)?;
    print!("{}", indent6(&out));
    Ok(out)
}

fn indent6(text: &str) -> String {
    lab::indent(text)
        .lines()
        .map(|l| {
            if l.is_empty() {
                String::new()
            } else {
                format!("      {l}\n")
            }
        })
        .collect()
}

pub fn run(args: &[String]) -> Result<(), String> {
    let mut agent = Agent::Ifaddr;
    let mut keep = false;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--keep" => keep = true,
            "--agent" => {
                agent = Agent::parse(
                    it.next()
                        .ok_or("--agent needs a value (ifaddr or ipaddr2)")?,
                )?
            }
            "--down" => {
                lab::catch_interrupts();
                return match lab::remove_leftovers()? {
                    true => {
                        println!("lab removed");
                        Ok(())
                    }
                    false => {
                        println!("no lab is running");
                        Ok(())
                    }
                };
            }
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            other => return Err(format!("unknown demo option `{other}`\n{USAGE}")),
        }
    }
    lab::catch_interrupts();
    let vip = Family::V4.vip();
    println!(
        "ifaddr demo: three Pacemaker nodes and a client in network namespaces on this machine;\n\
         the cluster keeps {vip} up with {} while a node is moved away from and then powered off.",
        agent.ocf()
    );
    let mut story = Story {
        step: 0,
        t0: Instant::now(),
    };

    story.step("Prerequisites: root, Corosync, Pacemaker, crmsh");
    lab::ensure_prerequisites()?;
    story.ok("found (corosync, pacemakerd, crm, ping, ip, unshare, nsenter)");

    story.step(&format!("The agent: {}", agent.ocf()));
    let binary = match agent {
        Agent::Ifaddr => {
            let bin = lab::build_ifaddr()?;
            story.ok(&format!(
                "built {}; `meta-data` answers; each node gets it as /usr/lib/ocf/resource.d/ifaddr/vip",
                bin.display()
            ));
            Some(bin)
        }
        Agent::Ipaddr2 => {
            story.ok("IPaddr2 from the resource-agents package, as installed");
            None
        }
    };

    story.step("The lab: a bridge, three nodes and a client, each in its own namespaces");
    say("addresses: node1 192.0.2.11, node2 192.0.2.12, node3 192.0.2.13, client 192.0.2.100");
    let mut lab = Lab::create(binary.as_deref(), &mut |line| say(line))?;
    story.ok("three nodes booted");

    story.step("Corosync (knet) and Pacemaker form the cluster");
    lab.wait_online(Duration::from_secs(120))?;
    story.ok("node1, node2 and node3 online, a DC elected");

    story.step("Configure: no fencing in this lab, and the address as a resource");
    crm_shown(&lab, 0, &["configure", "property", "stonith-enabled=false"])?;
    let ip_param = format!("ip={vip}");
    crm_shown(
        &lab,
        0,
        &[
            "configure",
            "primitive",
            "IP",
            agent.ocf(),
            "params",
            &ip_param,
            "cidr_netmask=24",
            "op",
            "monitor",
            "interval=10s",
        ],
    )?;
    let first = wait_one_holder(&lab, vip, Duration::from_secs(60))?;
    story.ok(&format!("IP started: {vip} is on {}", NODES[first]));
    crm_shown(&lab, 0, &["status"])?;

    story.step("The client reaches the address");
    lab.client_reaches(vip)?;
    println!("      client# ping -c 3 {vip}");
    print!("{}", indent6(&lab.client_ping(vip, 3)?));
    story.ok(&format!("{vip} answers from {}", NODES[first]));

    // The story moves the address to node3, then powers node3 off; if Pacemaker happened
    // to start it on node3, node2 plays that part.
    let target = if first == 2 { 1 } else { 2 };
    story.step(&format!(
        "Move the address: crm resource move IP {}",
        NODES[target]
    ));
    say(&format!("the client pings {vip} every 10 ms meanwhile"));
    let watch = lab.watch(vip)?;
    crm_shown(&lab, 0, &["resource", "move", "IP", NODES[target]])?;
    wait_holders(&lab, vip, &[target], Duration::from_secs(60))?;
    watch
        .wait_answers(Duration::from_secs(20), Duration::from_millis(500))
        .map_err(|e| format!("move: {e}"))?;
    let (probe, samples) = watch.finish();
    let move_ms = probe.outage_ms()?;
    say(&format!("on the nodes: {}", samples.story()));
    story.ok(&format!(
        "{vip} moved to {}; the client went {move_ms:.0} ms without an answer",
        NODES[target]
    ));

    story.step(&format!(
        "Power off {}: its cable is cut and everything on it killed",
        NODES[target]
    ));
    say(&format!(
        "the survivors' Corosync notices within the token timeout (1000 ms) plus consensus; \
         Pacemaker then starts IP elsewhere (the move's constraint still prefers {}, which is gone)",
        NODES[target]
    ));
    let watch = lab.watch(vip)?;
    lab.power_off(target)?;
    let survivor = wait_for_holder(&lab, vip, Duration::from_secs(90), |h| h != target)?;
    watch
        .wait_answers(Duration::from_secs(20), Duration::from_millis(500))
        .map_err(|e| format!("power-off failover: {e}"))?;
    let (probe, samples) = watch.finish();
    let fail_ms = probe.outage_ms()?;
    say(&format!("on the nodes: {}", samples.story()));
    story.ok(&format!(
        "{vip} is back, on {}; the client went {fail_ms:.0} ms without an answer",
        NODES[survivor]
    ));
    lab.wait_online(Duration::from_secs(60))?;
    crm_shown(&lab, survivor, &["status"])?;

    story.step("Summary");
    println!("      agent                     {}", agent.ocf());
    println!("      outage during the move    {move_ms:>6.0} ms");
    println!("      outage after power-off    {fail_ms:>6.0} ms");
    println!("      (the longest time between two answers to the client's 10 ms ping)");

    if keep {
        lab.keep();
        println!(
            "\nThe lab is still running ({} is powered off). To look around:",
            NODES[target]
        );
        for line in lab::access_lines() {
            println!("  {line}");
        }
        return Ok(());
    }
    lab.teardown()?;
    println!("\nlab removed: no namespace, process, mount or file of it is left");
    Ok(())
}

/// Wait until exactly one node holds `vip`; that node.
pub fn wait_one_holder(lab: &Lab, vip: &str, timeout: Duration) -> Result<usize, String> {
    wait_for_holder(lab, vip, timeout, |_| true)
}

/// Wait until exactly one node, one that `ok` accepts, holds `vip`.
pub fn wait_for_holder(
    lab: &Lab,
    vip: &str,
    timeout: Duration,
    ok: impl Fn(usize) -> bool,
) -> Result<usize, String> {
    let mut last = Vec::new();
    lab::wait_for(
        &format!("one node to hold {vip}"),
        timeout,
        Duration::from_millis(50),
        || {
            last = lab.holders(vip);
            Ok(match last.as_slice() {
                [h] if ok(*h) => Some(*h),
                _ => None,
            })
        },
    )
    .map_err(|e| format!("{e} (held by {})\n{}", names(&last), lab.diagnostics()))
}

/// Wait until exactly `want` hold `vip`.
pub fn wait_holders(lab: &Lab, vip: &str, want: &[usize], timeout: Duration) -> Result<(), String> {
    let mut last = Vec::new();
    lab::wait_for(
        &format!("{vip} to be held by {}", names(want)),
        timeout,
        Duration::from_millis(50),
        || {
            last = lab.holders(vip);
            Ok((last == want).then_some(()))
        },
    )
    .map_err(|e| format!("{e} (held by {})\n{}", names(&last), lab.diagnostics()))
}
