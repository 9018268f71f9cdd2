import Foundation
import Synchronization

/// Figures that every viewer asks for (queue counts, throughput), computed at most once per `maxAge`
/// per key and shared: a dashboard open in many browsers, or a load balancer polling, costs the
/// database one computation per period. Requests that come while one is computed wait for it instead
/// of starting their own. An expired figure younger than `staleFor` more seconds is served at once
/// while a fresh one is computed in the background, so that no viewer waits for a slow computation
/// (a day of throughput); an older one is waited for (a page opened after an idle hour shows now).
final class SharedFigures<Value: Sendable>: Sendable {
    private struct Entry {
        var value: Value?
        var computedAt: Date = .distantPast
        var inFlight: Task<Value, any Error>?
        /// Bumped by `invalidate`: a computation started before does not store its figure.
        var generation = 0
    }

    private enum Next {
        case ready(Value)
        case wait(Task<Value, any Error>)
    }

    private let entries = Mutex<[String: Entry]>([:])
    let maxAge: TimeInterval
    let staleFor: TimeInterval

    init(maxAge: TimeInterval, staleFor: TimeInterval) {
        self.maxAge = maxAge
        self.staleFor = staleFor
    }

    func value(_ key: String, compute: @escaping @Sendable () async throws -> Value) async throws -> Value {
        let now = Date()
        let next = entries.withLock { table -> Next in
            var entry = table[key] ?? Entry()
            if let value = entry.value, now.timeIntervalSince(entry.computedAt) <= maxAge { return .ready(value) }
            let generation = entry.generation
            let task = entry.inFlight ?? Task { [self] in
                do {
                    let fresh = try await compute()
                    entries.withLock { entries in
                        guard entries[key]?.generation == generation else { return }
                        entries[key]?.value = fresh
                        entries[key]?.computedAt = Date()
                        entries[key]?.inFlight = nil
                    }
                    return fresh
                } catch {
                    entries.withLock { entries in if entries[key]?.generation == generation { entries[key]?.inFlight = nil } }
                    throw error
                }
            }
            entry.inFlight = task
            table[key] = entry
            if let stale = entry.value, now.timeIntervalSince(entry.computedAt) <= maxAge + staleFor { return .ready(stale) }
            return .wait(task)
        }
        switch next {
        case .ready(let value): return value
        case .wait(let task): return try await task.value
        }
    }

    /// Forgets `key`'s figure (after a change this process made, such as a pause): the next request
    /// waits for a fresh one.
    func invalidate(_ key: String) {
        entries.withLock { entries in
            guard entries[key] != nil else { return }
            entries[key]!.value = nil
            entries[key]!.computedAt = .distantPast
            entries[key]!.inFlight = nil
            entries[key]!.generation += 1
        }
    }
}
