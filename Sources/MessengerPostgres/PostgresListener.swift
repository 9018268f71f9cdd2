import CLibPQ
import Foundation
import Logging
import Messenger
import Synchronization

/// LISTENs on a channel over a dedicated connection, on a thread of its own, and calls `handler` for
/// each batch of notifications, and once after every (re)connection (notifications may have been
/// missed). A lost connection is reopened with capped exponential back-off. `stop()` wakes the thread
/// through a pipe and returns once it has closed its connection: it never outlives its transport.
///
/// Dispatching transactions notify only while no other one of the same queue is notifying (the
/// table's trigger), so a row committed just after a notifier's may come without a notification of
/// its own: every batch of notifications is followed by one more call `followUpDelay` later.
final class PostgresListener: Sendable {
    private struct State {
        var stopped = false
        var listening = false
        var started = false
        var finished = false
        var finishWaiters: [CheckedContinuation<Void, Never>] = []
    }

    private let info: PostgresConnectionInfo
    private let channel: String
    private let logger: Logger
    private let handler: @Sendable () -> Void
    private let state = Mutex(State())
    /// How long after a batch of notifications the handler is called once more.
    static let followUpDelay: Duration = .milliseconds(30)
    /// Written to by `stop()` to wake the thread from `poll` at once.
    private let wakePipe: (read: Int32, write: Int32)

    init(info: PostgresConnectionInfo, channel: String, logger: Logger, handler: @escaping @Sendable () -> Void) {
        self.info = info
        self.channel = channel
        self.logger = logger
        self.handler = handler
        var fds: [Int32] = [-1, -1]
        _ = pipe(&fds)
        wakePipe = (fds[0], fds[1])
    }

    deinit {
        close(wakePipe.read)
        close(wakePipe.write)
    }

    func start() {
        let first = state.withLock { state -> Bool in
            defer { state.started = true }
            return !state.started
        }
        guard first else { return }
        let thread = Thread { [self] in
            run()
            let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
                state.finished = true
                defer { state.finishWaiters = [] }
                return state.finishWaiters
            }
            for waiter in waiters { waiter.resume() }
        }
        thread.name = "messenger LISTEN \(channel)"
        thread.start()
    }

    /// Stops the thread and waits until it has closed its connection.
    func stop() async {
        let running = state.withLock { state -> Bool in
            state.stopped = true
            return state.started && !state.finished
        }
        guard running else { return }
        var byte: UInt8 = 1
        _ = write(wakePipe.write, &byte, 1)
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = state.withLock { state -> Bool in
                if state.finished { return true }
                state.finishWaiters.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
    }

    private var stopped: Bool { state.withLock { $0.stopped } }

    var isListening: Bool { state.withLock { $0.listening } }

    private func run() {
        var failures = 0
        while !stopped {
            guard let connection = PQconnectdb(info.conninfo), PQstatus(connection) == CONNECTION_OK else {
                failures += 1
                let delay = min(10.0, 0.1 * pow(2, Double(min(failures - 1, 7))))
                if failures == 1 || failures % 10 == 0 {
                    logger.warning("LISTEN connection to \(info.redacted) failed; retrying in \(delay) s (attempt \(failures))")
                }
                pause(seconds: delay)
                continue
            }
            PQsetNoticeProcessor(connection, { _, _ in }, nil)
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
        var followUp: ContinuousClock.Instant?
        while !stopped {
            var descriptors = [pollfd(fd: socket, events: Int16(POLLIN), revents: 0), pollfd(fd: wakePipe.read, events: Int16(POLLIN), revents: 0)]
            let timeout = followUp.map { Int32(max(0, min(1000, ($0 - .now).wholeMilliseconds))) } ?? 1000
            let ready = poll(&descriptors, 2, timeout)
            if ready < 0 && errno != EINTR { return }
            if let due = followUp, ContinuousClock.now >= due {
                followUp = nil
                handler()
            }
            if ready <= 0 || descriptors[0].revents == 0 { continue }
            guard PQconsumeInput(connection) == 1 else {
                logger.warning("LISTEN connection to \(info.redacted) lost: \(info.scrub(PostgresConnection.trimmed(PQerrorMessage(connection)))); reconnecting")
                return
            }
            var notified = false
            while let notification = PQnotifies(connection) {
                PQfreemem(notification)
                notified = true
            }
            if notified {
                handler()
                followUp = followUp ?? .now + Self.followUpDelay
            }
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
