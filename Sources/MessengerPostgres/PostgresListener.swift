import CLibPQ
import Foundation
import Logging
import Synchronization

/// LISTENs on a channel over a dedicated connection, on a thread of its own, and calls `handler` for
/// each notification, and once after every (re)connection (notifications may have been missed).
/// A lost connection is reopened with capped exponential back-off.
final class PostgresListener: Sendable {
    private let info: PostgresConnectionInfo
    private let channel: String
    private let logger: Logger
    private let handler: @Sendable () -> Void
    private let state = Mutex((stopped: false, listening: false, started: false))

    init(info: PostgresConnectionInfo, channel: String, logger: Logger, handler: @escaping @Sendable () -> Void) {
        self.info = info
        self.channel = channel
        self.logger = logger
        self.handler = handler
    }

    /// True while a LISTEN connection is up.
    var isListening: Bool { state.withLock { $0.listening } }

    func start() {
        let first = state.withLock { state -> Bool in
            defer { state.started = true }
            return !state.started
        }
        guard first else { return }
        let thread = Thread { [self] in run() }
        thread.name = "messenger LISTEN \(channel)"
        thread.start()
    }

    func stop() { state.withLock { $0.stopped = true } }

    private var stopped: Bool { state.withLock { $0.stopped } }

    private func run() {
        var failures = 0
        while !stopped {
            guard let connection = PQconnectdb(info.uri), PQstatus(connection) == CONNECTION_OK else {
                failures += 1
                let delay = min(10.0, 0.1 * pow(2, Double(min(failures - 1, 7))))
                if failures == 1 || failures % 10 == 0 {
                    logger.warning("LISTEN connection to \(info.redacted) failed; retrying in \(delay) s (attempt \(failures))")
                }
                pause(seconds: delay)
                continue
            }
            let listenResult = PQexec(connection, "LISTEN \"\(channel)\"")
            let listened = PQresultStatus(listenResult) == PGRES_COMMAND_OK
            PQclear(listenResult)
            guard listened else {
                PQfinish(connection)
                failures += 1
                pause(seconds: 1)
                continue
            }
            if failures > 0 { logger.notice("LISTEN connection to \(info.redacted) restored") }
            failures = 0
            state.withLock { $0.listening = true }
            handler()
            listen(on: connection)
            state.withLock { $0.listening = false }
            PQfinish(connection)
        }
    }

    /// Waits for notifications until the connection breaks or the listener stops.
    private func listen(on connection: OpaquePointer) {
        let socket = PQsocket(connection)
        while !stopped {
            var descriptor = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
            let ready = poll(&descriptor, 1, 250)
            if ready < 0 && errno != EINTR { return }
            if ready == 0 { continue }
            guard PQconsumeInput(connection) == 1 else {
                logger.warning("LISTEN connection to \(info.redacted) lost: \(PostgresConnection.trimmed(PQerrorMessage(connection))); reconnecting")
                return
            }
            var notified = false
            while let notification = PQnotifies(connection) {
                PQfreemem(notification)
                notified = true
            }
            if notified { handler() }
            if PQstatus(connection) != CONNECTION_OK { return }
        }
    }

    private func pause(seconds: Double) {
        var left = seconds
        while left > 0 && !stopped {
            Thread.sleep(forTimeInterval: min(0.1, left))
            left -= 0.1
        }
    }
}
