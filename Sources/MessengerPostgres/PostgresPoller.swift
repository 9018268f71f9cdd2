import Foundation
import Logging
import Synchronization

/// Wake-ups without LISTEN (a transaction pooler in between and no `listen_dsn`): while the worker is
/// idle, looks every `poll_interval` (less up to a fifth at random, so that idle workers do not look
/// all at once) whether a free message of its queues is due, with one look-up in the queue's
/// index of waiting rows, and calls `handler` when one is. A worker that is busy claims anyway: it is
/// not looked for then.
final class PostgresPoller: Sendable {
    private let task = Mutex<Task<Void, Never>?>(nil)
    private let interval: Duration

    init(intervalMilliseconds: Int) {
        interval = .milliseconds(intervalMilliseconds)
    }

    /// Starts looking; `idleQueues` answers the queues an idle worker waits on (nil while it is busy).
    func start(on connection: PostgresConnection, schema: PostgresSchema, logger: Logger, idleQueues: @escaping @Sendable () -> [String]?,
               handler: @escaping @Sendable () -> Void) {
        let interval = interval
        let polling = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: interval * Double.random(in: 0.8...1))
                guard !Task.isCancelled, let queues = idleQueues() else { continue }
                do {
                    let due = try await connection.query(schema.anyDue(queues: queues.count), [PostgresSchema.queueParameter(queues)])
                    if !due.rows.isEmpty { handler() }
                } catch {
                    logger.debug("Cannot look for due messages, trying again: \(error)")
                }
            }
        }
        task.withLock { $0 = polling }
    }

    /// Whether it looks (started, not stopped).
    var isRunning: Bool { task.withLock { $0.map { !$0.isCancelled } ?? false } }

    func stop() {
        task.withLock { $0 }?.cancel()
    }
}
