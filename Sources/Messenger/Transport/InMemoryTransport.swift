import Foundation
import Synchronization

/// `in-memory://`: keeps messages in the process, for tests and for work that may be lost on exit.
public final class InMemoryTransport: ListableReceiver, MessageCountingTransport, DelayAwareReceiver {
    private struct Stored {
        var envelope: Envelope
        var availableAt: Date
        var createdAt: Date
        var claimed: Bool
        var deliveries: Int
    }

    private struct State {
        var nextId = 1
        var messages: [Int: Stored] = [:]
        var acked: [Envelope] = []
        var rejected: [Envelope] = []
    }

    private let state = Mutex(State())
    private let now: @Sendable () -> Date

    public init(now: @escaping @Sendable () -> Date = Date.init) { self.now = now }

    public func send(_ envelope: Envelope) async throws -> Envelope {
        let date = now()
        let delay = Double(envelope.last(DelayStamp.self)?.milliseconds ?? 0) / 1000
        return state.withLock { state in
            if let rule = envelope.deduplication {
                let retried = Self.id(of: envelope)
                let pending = state.messages.filter { id, stored in
                    id != retried && stored.envelope.deduplication?.key == rule.key
                        && (!stored.claimed || stored.envelope.deduplication?.whileHandling == true)
                }.keys.min()
                if let pending {
                    let debounced = rule.debounce && !state.messages[pending]!.claimed
                    if debounced { state.messages[pending]!.availableAt = date.addingTimeInterval(delay) }
                    return envelope.with(DeduplicatedStamp(existingMessageId: String(pending), debounced: debounced))
                }
            }
            let id = state.nextId
            state.nextId += 1
            let stamped = envelope.withoutAll(DelayStamp.self).withoutAll(TransportMessageIdStamp.self).with(TransportMessageIdStamp(String(id)))
            state.messages[id] = Stored(envelope: stamped, availableAt: date.addingTimeInterval(delay), createdAt: date, claimed: false, deliveries: 0)
            return stamped
        }
    }

    public func get(limit: Int) async throws -> [Envelope] {
        let date = now()
        return state.withLock { state in
            let due = state.messages.filter { !$0.value.claimed && $0.value.availableAt <= date }.keys.sorted().prefix(limit)
            return due.map { id in
                state.messages[id]!.claimed = true
                state.messages[id]!.deliveries += 1
                return state.messages[id]!.envelope.with(DeliveryCountStamp(state.messages[id]!.deliveries))
            }
        }
    }

    public func ack(_ envelope: Envelope) async throws {
        state.withLock { state in
            if let id = Self.id(of: envelope) { state.messages[id] = nil }
            state.acked.append(envelope)
        }
    }

    public func reject(_ envelope: Envelope) async throws {
        state.withLock { state in
            if let id = Self.id(of: envelope) { state.messages[id] = nil }
            state.rejected.append(envelope)
        }
    }

    public func release(_ envelopes: [Envelope]) async throws {
        state.withLock { state in
            for envelope in envelopes {
                // A newer message with the same key waits already: it stands for this one.
                if let id = Self.id(of: envelope), let key = state.messages[id]?.envelope.deduplication?.key,
                   state.messages.contains(where: { $0.key != id && !$0.value.claimed && $0.value.envelope.deduplication?.key == key }) {
                    state.messages[id] = nil
                    continue
                }
                if let id = Self.id(of: envelope), state.messages[id] != nil {
                    state.messages[id]!.claimed = false
                    state.messages[id]!.deliveries -= 1
                }
            }
        }
    }

    public func list(limit: Int) async throws -> [Envelope] {
        state.withLock { state in state.messages.keys.sorted().prefix(limit).map { state.messages[$0]!.envelope } }
    }

    public func find(id: String) async throws -> Envelope? {
        state.withLock { state in Int(id).flatMap { state.messages[$0]?.envelope } }
    }

    public func claim(id: String) async throws -> ClaimByIdResult {
        state.withLock { state in
            guard let number = Int(id), let stored = state.messages[number] else { return .missing }
            guard !stored.claimed else { return .held }
            state.messages[number]!.claimed = true
            state.messages[number]!.deliveries += 1
            return .claimed(stored.envelope.with(DeliveryCountStamp(stored.deliveries + 1)))
        }
    }

    public func remove(id: String) async throws -> RemoveByIdResult {
        state.withLock { state in
            guard let number = Int(id), let stored = state.messages[number] else { return .missing }
            guard !stored.claimed else { return .held }
            state.messages[number] = nil
            return .removed
        }
    }

    public func statistics() async throws -> TransportStatistics {
        let date = now()
        return state.withLock { state in
            let all = state.messages.values
            return TransportStatistics(
                total: all.count,
                ready: all.filter { !$0.claimed && $0.availableAt <= date }.count,
                delayed: all.filter { !$0.claimed && $0.availableAt > date }.count,
                inFlight: all.filter(\.claimed).count,
                oldestAgeSeconds: all.map(\.createdAt).min().map { date.timeIntervalSince($0) }
            )
        }
    }

    public func nextAvailableDate() async throws -> Date? {
        state.withLock { state in state.messages.values.filter { !$0.claimed }.map(\.availableAt).min() }
    }

    /// Envelopes acknowledged so far, for assertions.
    public var acknowledged: [Envelope] { state.withLock { $0.acked } }
    /// Envelopes rejected so far, for assertions.
    public var rejectedEnvelopes: [Envelope] { state.withLock { $0.rejected } }

    private static func id(of envelope: Envelope) -> Int? {
        envelope.last(TransportMessageIdStamp.self).flatMap { Int($0.id) }
    }
}
