//! `leadsim health`: probes a running leadsim's `/__admin/health` with a
//! plain HTTP/1.1 request, so a distroless container (no curl, no shell)
//! can health-check itself with its own binary.

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream, ToSocketAddrs};
use std::time::Duration;

/// Probes the server listening on `listen` (as `--listen` spells it).
/// Ok when `/__admin/health` answers 200 within `timeout`; otherwise why not.
pub fn probe(listen: &str, timeout: Duration) -> Result<(), String> {
    let addresses: Vec<SocketAddr> = listen
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve {listen}: {e}"))?
        .map(reachable)
        .collect();
    let address = addresses
        .first()
        .ok_or_else(|| format!("{listen} names no address"))?;
    let mut stream = TcpStream::connect_timeout(address, timeout)
        .map_err(|e| format!("cannot connect to {address}: {e}"))?;
    stream
        .set_read_timeout(Some(timeout))
        .and_then(|()| stream.set_write_timeout(Some(timeout)))
        .map_err(|e| e.to_string())?;
    let request = format!("GET /__admin/health HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n");
    stream
        .write_all(request.as_bytes())
        .map_err(|e| format!("cannot send to {address}: {e}"))?;
    // The status line is all that is read: `HTTP/1.1 200 OK`.
    let mut head = [0u8; 64];
    let mut read = 0;
    while read < 12 {
        match stream.read(&mut head[read..]) {
            Ok(0) => break,
            Ok(n) => read += n,
            Err(e) => return Err(format!("no answer from {address}: {e}")),
        }
    }
    let head = String::from_utf8_lossy(&head[..read]);
    let status_line = head.lines().next().unwrap_or_default();
    let status = status_line
        .strip_prefix("HTTP/")
        .and_then(|rest| rest.split_whitespace().nth(1));
    match status {
        Some("200") => Ok(()),
        Some(status) => Err(format!("{address} answered {status}")),
        None => Err(format!("{address} answered no HTTP status")),
    }
}

/// A server listening on every interface is reached on loopback.
fn reachable(address: SocketAddr) -> SocketAddr {
    match address.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => {
            SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), address.port())
        }
        IpAddr::V6(ip) if ip.is_unspecified() => {
            SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), address.port())
        }
        _ => address,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    /// A server that answers every connection with `status_line`.
    fn answering(status_line: &'static str) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
        let address = listener.local_addr().map(|a| a.to_string()).unwrap_or_default();
        std::thread::spawn(move || {
            if let Ok((mut stream, _)) = listener.accept() {
                let mut request = [0u8; 512];
                let _ = stream.read(&mut request);
                let _ = stream.write_all(format!("{status_line}\r\nContent-Length: 0\r\n\r\n").as_bytes());
            }
        });
        address
    }

    #[test]
    fn only_a_200_is_healthy() {
        let second = Duration::from_secs(1);
        assert_eq!(probe(&answering("HTTP/1.1 200 OK"), second), Ok(()));
        let unhealthy = answering("HTTP/1.1 503 Service Unavailable");
        assert_eq!(
            probe(&unhealthy, second),
            Err(format!("{unhealthy} answered 503"))
        );
        let garbage = answering("SSH-2.0-OpenSSH");
        assert_eq!(
            probe(&garbage, second),
            Err(format!("{garbage} answered no HTTP status"))
        );
        assert!(probe("no-such-host.invalid:80", second).is_err());
    }
}
