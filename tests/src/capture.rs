//! A packet capture on the peer side of a [`Lab`](super::Lab): a packet socket opened inside the
//! peer namespace (from a thread that enters it with `setns`, so the test process itself stays
//! where it is), which records every ARP and IPv6 neighbour advertisement frame naming one
//! address, with the kernel's receive timestamp. No tcpdump: nothing to install, nothing to
//! skip.

use std::net::IpAddr;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// One announcement seen on the wire, with its arrival time (CLOCK_REALTIME, nanoseconds).
#[derive(Debug, Clone, Copy)]
pub struct Seen {
    pub at_ns: u128,
}

pub struct Capture {
    stop: Arc<AtomicBool>,
    seen: Arc<Mutex<Vec<Seen>>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// Now, as the kernel timestamps received frames (CLOCK_REALTIME), in nanoseconds.
pub fn now_ns() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_nanos()
}

/// Whether `frame` (Ethernet) is a gratuitous ARP or an ARP reply whose sender is `ip`, or an
/// ICMPv6 neighbour advertisement whose target is `ip`.
pub fn announces(frame: &[u8], ip: &IpAddr) -> bool {
    if frame.len() < 14 {
        return false;
    }
    let ethertype = u16::from_be_bytes([frame[12], frame[13]]);
    let p = &frame[14..];
    match (ethertype, ip) {
        (0x0806, IpAddr::V4(v4)) => {
            // htype(2) ptype(2) hlen plen op(2) sha(6) spa(4) tha(6) tpa(4)
            p.len() >= 28 && p[14..18] == v4.octets()
        }
        (0x86dd, IpAddr::V6(v6)) => {
            // IPv6 header (40), next header 58, ICMPv6 type 136, target at +8.
            p.len() >= 40 + 24 && p[6] == 58 && p[40] == 136 && p[48..64] == v6.octets()
        }
        _ => false,
    }
}

fn check(r: i32, what: &str) {
    assert!(r >= 0, "{what}: {}", std::io::Error::last_os_error());
}

impl Capture {
    /// Start capturing on `dev` in network namespace `netns`, for announcements of `ip`.
    /// Returns once the socket is open, so nothing sent after this returns is missed.
    pub fn start(netns: &str, dev: &str, ip: IpAddr) -> Capture {
        let stop = Arc::new(AtomicBool::new(false));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (netns, dev) = (netns.to_owned(), dev.to_owned());
        let (stop2, seen2) = (stop.clone(), seen.clone());
        let thread = std::thread::spawn(move || {
            let ns = std::fs::File::open(format!("/run/netns/{netns}")).expect("open netns");
            // SAFETY: ns is an open namespace file; setns changes only this thread's network
            // namespace and does not keep the descriptor.
            check(
                unsafe { libc::setns(ns.as_raw_fd(), libc::CLONE_NEWNET) },
                "setns",
            );
            let proto = (libc::ETH_P_ALL as u16).to_be();
            // SAFETY: socket takes no pointers.
            let fd = unsafe { libc::socket(libc::AF_PACKET, libc::SOCK_RAW, i32::from(proto)) };
            check(fd, "packet socket");
            // SAFETY: fd was just returned by socket and is owned by nobody else.
            let fd = unsafe { OwnedFd::from_raw_fd(fd) };
            let cname = std::ffi::CString::new(dev).unwrap();
            // SAFETY: cname is a NUL-terminated string that lives for the call.
            let index = unsafe { libc::if_nametoindex(cname.as_ptr()) };
            assert!(index > 0, "no interface in the peer namespace");
            // SAFETY: sockaddr_ll is plain old data; all-zero is valid before we fill it in.
            let mut sll: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
            sll.sll_family = libc::AF_PACKET as u16;
            sll.sll_protocol = proto;
            sll.sll_ifindex = index as i32;
            // SAFETY: sll is a valid sockaddr_ll of the size passed.
            check(
                unsafe {
                    libc::bind(
                        fd.as_raw_fd(),
                        (&sll as *const libc::sockaddr_ll).cast(),
                        std::mem::size_of::<libc::sockaddr_ll>() as libc::socklen_t,
                    )
                },
                "bind",
            );
            let one: i32 = 1;
            // SAFETY: the option value points at a live i32 and its size is passed.
            check(
                unsafe {
                    libc::setsockopt(
                        fd.as_raw_fd(),
                        libc::SOL_SOCKET,
                        libc::SO_TIMESTAMPNS,
                        (&one as *const i32).cast(),
                        4,
                    )
                },
                "SO_TIMESTAMPNS",
            );
            let tv = libc::timeval {
                tv_sec: 0,
                tv_usec: 10_000,
            };
            // SAFETY: the option value points at a live timeval and its size is passed.
            check(
                unsafe {
                    libc::setsockopt(
                        fd.as_raw_fd(),
                        libc::SOL_SOCKET,
                        libc::SO_RCVTIMEO,
                        (&tv as *const libc::timeval).cast(),
                        std::mem::size_of::<libc::timeval>() as libc::socklen_t,
                    )
                },
                "SO_RCVTIMEO",
            );
            ready_tx.send(()).unwrap();
            let mut buf = [0u8; 2048];
            loop {
                // SAFETY: sockaddr_ll is plain old data; the kernel fills it in.
                let mut from: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
                let mut iov = libc::iovec {
                    iov_base: buf.as_mut_ptr().cast(),
                    iov_len: buf.len(),
                };
                let mut control = [0u64; 16];
                // SAFETY: msghdr is plain old data; all-zero is valid before we fill it in.
                let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
                msg.msg_name = (&mut from as *mut libc::sockaddr_ll).cast();
                msg.msg_namelen = std::mem::size_of::<libc::sockaddr_ll>() as libc::socklen_t;
                msg.msg_iov = &mut iov;
                msg.msg_iovlen = 1;
                msg.msg_control = control.as_mut_ptr().cast();
                msg.msg_controllen = std::mem::size_of_val(&control);
                // SAFETY: msg points at live buffers (name, iov, control) of the sizes given.
                let n = unsafe { libc::recvmsg(fd.as_raw_fd(), &mut msg, 0) };
                if n < 0 {
                    // Timeout: everything that arrived has been read.
                    if stop2.load(Ordering::SeqCst) {
                        return;
                    }
                    continue;
                }
                // Only what arrives from the agent's side, not the peer's own frames.
                if from.sll_pkttype == libc::PACKET_OUTGOING || !announces(&buf[..n as usize], &ip)
                {
                    continue;
                }
                let mut at_ns = None;
                // SAFETY: the CMSG_* macros walk the control buffer the kernel filled in,
                // within msg_controllen; SCM_TIMESTAMPNS carries one timespec.
                unsafe {
                    let mut c = libc::CMSG_FIRSTHDR(&msg);
                    while !c.is_null() {
                        if (*c).cmsg_level == libc::SOL_SOCKET
                            && (*c).cmsg_type == libc::SCM_TIMESTAMPNS
                        {
                            let ts: libc::timespec =
                                std::ptr::read_unaligned(libc::CMSG_DATA(c).cast());
                            at_ns = Some(ts.tv_sec as u128 * 1_000_000_000 + ts.tv_nsec as u128);
                        }
                        c = libc::CMSG_NXTHDR(&msg, c);
                    }
                }
                let at_ns = at_ns.expect("a receive timestamp");
                seen2.lock().unwrap().push(Seen { at_ns });
            }
        });
        ready_rx
            .recv_timeout(Duration::from_secs(10))
            .expect("capture ready");
        Capture {
            stop,
            seen,
            thread: Some(thread),
        }
    }

    /// Stop capturing (after reading everything that has arrived) and return what was seen.
    pub fn finish(mut self) -> Vec<Seen> {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            t.join().expect("capture thread");
        }
        std::mem::take(&mut *self.seen.lock().unwrap())
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
