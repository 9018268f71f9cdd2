import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// An open-loop HTTP load on loopback: GET requests at a fixed rate over keep-alive connections, each
/// timed from when it was due (not when it was sent), so that a slow answer counts against every
/// request queued behind it, as wrk2 measures. Blocking sockets, one thread per connection.
struct HTTPLoad: Sendable {
    let port: Int
    let authorization: String
    /// Requests per second, over all connections.
    let rate: Double
    let connections: Int

    /// Latencies (ms) of the answered requests, and what went wrong.
    struct Outcome {
        var latencies: [Double] = []
        var notOK = 0
        var failures: [String] = []

        func summary() -> String {
            guard !latencies.isEmpty else { return "no answer; \(failures.first ?? "")" }
            let sorted = latencies.sorted()
            func at(_ p: Double) -> Double { sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))] }
            var text = String(format: "p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.1f ms (%d requests)", at(0.5), at(0.9), at(0.99), sorted.last!, sorted.count)
            if notOK > 0 { text += ", \(notOK) not 200" }
            if !failures.isEmpty { text += ", \(failures.count) failed: \(failures[0])" }
            return text
        }
    }

    /// Runs until `body` returns, then lets the connections finish their request in hand.
    func during<T>(_ body: () async throws -> T, path: @escaping @Sendable (Int) -> String) async throws -> (T, Outcome) {
        let stop = StopFlag()
        let outcome = Mutex(Outcome())
        let group = DispatchGroup()
        let start = DispatchTime.now().uptimeNanoseconds
        let (port, authorization, rate, connections) = (port, authorization, rate, connections)
        for connection in 0..<connections {
            group.enter()
            // A thread of its own each (the global queue's few threads would not all run while others block).
            Thread.detachNewThread {
                defer { group.leave() }
                var client: HTTPClientConnection?
                var sequence = 0
                while !stop.isSet {
                    let index = sequence * connections + connection
                    sequence += 1
                    let due = start + UInt64(Double(index) / rate * 1_000_000_000)
                    let now = DispatchTime.now().uptimeNanoseconds
                    if due > now { usleep(UInt32((due - now) / 1000)) }
                    do {
                        if client == nil { client = try HTTPClientConnection(port: port) }
                        let status = try client!.get(path(index), authorization: authorization)
                        let latency = Double(DispatchTime.now().uptimeNanoseconds - due) / 1_000_000
                        outcome.withLock {
                            $0.latencies.append(latency)
                            if status != 200 { $0.notOK += 1 }
                        }
                    } catch {
                        client = nil
                        outcome.withLock { $0.failures.append("\(error)") }
                    }
                }
            }
        }
        let result: T
        do {
            result = try await body()
        } catch {
            stop.set()
            await withCheckedContinuation { continuation in group.notify(queue: .global()) { continuation.resume() } }
            throw error
        }
        stop.set()
        await withCheckedContinuation { continuation in group.notify(queue: .global()) { continuation.resume() } }
        return (result, outcome.withLock { $0 })
    }
}

/// Set once, read by every connection's thread.
final class StopFlag: Sendable {
    private let value = Atomic<Bool>(false)
    var isSet: Bool { value.load(ordering: .relaxed) }
    func set() { value.store(true, ordering: .relaxed) }
}

/// One keep-alive HTTP/1.1 connection to 127.0.0.1: a GET, its answer read to the end of its body
/// (`Content-Length`).
final class HTTPClientConnection {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    private let socket: Int32

    init(port: Int) throws {
        socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw Failure(description: "socket: errno \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(socket)
            throw Failure(description: "connect to port \(port): errno \(errno)")
        }
        var one: Int32 = 1
        setsockopt(socket, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    deinit { close(socket) }

    /// Sends a GET and reads its answer; returns the status.
    func get(_ path: String, authorization: String) throws -> Int {
        let request = Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: \(authorization)\r\n\r\n".utf8)
        var sent = 0
        while sent < request.count {
            let written = request[sent...].withUnsafeBytes { send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard written > 0 else { throw Failure(description: "send: errno \(errno)") }
            sent += written
        }
        var buffer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        var headerEnd: Int?
        var expected = Int.max
        var status = 0
        while buffer.count < expected {
            let count = chunk.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { throw Failure(description: "the server closed the connection (errno \(errno))") }
            buffer.append(contentsOf: chunk[0..<count])
            if headerEnd == nil, let end = Self.find([13, 10, 13, 10], in: buffer) {
                headerEnd = end + 4
                let head = String(decoding: buffer[0..<end], as: UTF8.self).lowercased()
                let lines = head.split(separator: "\r\n")
                status = lines.first.flatMap { $0.split(separator: " ").dropFirst().first.flatMap { Int($0) } } ?? 0
                guard let length = lines.first(where: { $0.hasPrefix("content-length:") }).flatMap({ Int($0.dropFirst(15).trimmingCharacters(in: .whitespaces)) }) else {
                    throw Failure(description: "an answer without Content-Length: \(lines.first ?? "")")
                }
                expected = end + 4 + length
            }
        }
        return status
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for index in 0...(haystack.count - needle.count) where haystack[index] == needle[0] && Array(haystack[index..<index + needle.count]) == needle {
            return index
        }
        return nil
    }
}
