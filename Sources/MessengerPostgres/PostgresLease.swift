import Dispatch
import Logging
import Synchronization

/// The lease that keeps a transport's claims its own: a row of `messenger_claim_leases` with the
/// owner key and when it ends, renewed every fifth of its length while the process lives.
///
/// Claims whose owner has no lease running are taken back by other workers (`PostgresSchema.ownerGone`):
/// a worker killed, frozen or cut off loses them at most `worker_lease` seconds after its last renewal.
/// Nothing of it lives in a server session, so it works through a transaction pooler. A renewal that
/// finds the lease had ended (the process was stopped, the database out of reach) compares the claims
/// held with the table (`PostgresReceiver.reconcile`), then once more at the next renewal (a claim
/// that saw the lease run out may commit just after the first look): those taken by another worker
/// meanwhile are not started here. The lease starts with the first claim; a process that only dispatches has none.
///
/// The renewals run on a timer of Dispatch's own and on the connection's queue, never in Swift's
/// cooperative thread pool: handlers that block every thread of the pool (synchronous I/O, heavy
/// computation) do not stop a live worker's lease.
final class PostgresLease: Sendable {
    private struct State {
        var started = false
        var renewals: RenewalTimer?
        /// A renewal is waiting on the connection's queue: the timer does not add another.
        var renewing = false
        /// Renewals that still compare the claims after the lease was found run out: a claim by
        /// another worker that saw it run out may commit just after the first comparison.
        var comparisonsLeft = 0
    }

    let owner: Int64
    let seconds: Int
    private let logger: Logger
    private let state = Mutex(State())

    init(owner: Int64, seconds: Int, logger: Logger) {
        self.owner = owner
        self.seconds = seconds
        self.logger = logger
    }

    /// Whether the lease was taken (renewed after a reconnection).
    var isStarted: Bool { state.withLock { $0.started } }

    /// Takes the lease before the first claim, then renews it in the background.
    func start(on connection: PostgresConnection, whenLapsed lapsed: @escaping @Sendable (isolated PostgresConnection) throws -> Void) async throws {
        guard !isStarted else { return }
        try await connection.run { connection in
            try connection.query(PostgresSchema.pruneLeases)
            _ = try self.renew(on: connection)
        }
        let timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "messenger lease \(owner)"))
        let interval = DispatchTimeInterval.milliseconds(seconds * 200)
        timer.schedule(deadline: .now() + interval, repeating: interval, leeway: .milliseconds(20))
        timer.setEventHandler { [self] in
            guard state.withLock({ state in defer { state.renewing = true }; return !state.renewing }) else { return }
            connection.runOnOwnQueue { connection in
                defer { self.state.withLock { $0.renewing = false } }
                do {
                    let ranOut = try self.renew(on: connection)
                    let compare = self.state.withLock { state -> Bool in
                        if ranOut { state.comparisonsLeft = 2 }
                        defer { state.comparisonsLeft = max(0, state.comparisonsLeft - 1) }
                        return state.comparisonsLeft > 0
                    }
                    if compare { try lapsed(connection) }
                } catch {
                    self.logger.debug("Cannot renew the claim lease, trying again: \(error)")
                }
            }
        }
        let renewals = RenewalTimer(source: timer)
        let previous = state.withLock { state -> RenewalTimer? in
            defer { state.started = true; state.renewals = renewals }
            return state.renewals
        }
        previous?.source.cancel()
        timer.resume()
    }

    /// Takes or renews the lease on `connection`; true (and a warning) when, taken before, it had
    /// run out or was gone.
    func renew(on connection: isolated PostgresConnection) throws -> Bool {
        let previous = try connection.query(PostgresSchema.renewLease, [.int(owner), .int(Int64(seconds))]).rows.first?.first ?? nil
        let lapsed = previous == "t" || (previous == nil && isStarted)
        if lapsed {
            logger.warning("This worker's claim lease had run out (the process was stopped or the database out of reach): other workers may have taken its messages")
        }
        return lapsed
    }

    /// Stops renewing. With a connection (a worker that stops), ends the lease now: forgotten when
    /// `holdsClaims` is false, else run out, so that the claims left behind are taken back at once.
    /// Without one, it runs out as a dead worker's would.
    func stop(releasingOn connection: PostgresConnection?, holdsClaims: Bool = true) async {
        let timer = state.withLock { state -> RenewalTimer? in
            defer { state.renewals = nil }
            return state.renewals
        }
        timer?.source.cancel()
        guard let connection, isStarted else { return }
        _ = try? await connection.query(holdsClaims ? PostgresSchema.endLease : PostgresSchema.forgetLease, [.int(owner)])
    }
}

/// The renewals' timer. Dispatch sources may be cancelled from any thread.
private final class RenewalTimer: @unchecked Sendable {
    let source: any DispatchSourceTimer
    init(source: any DispatchSourceTimer) { self.source = source }
}
