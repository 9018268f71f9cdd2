import Foundation
import Messenger
import MessengerTestSupport
import Testing

/// `limits:` and ordered groups, enforced by the database transports across their workers: each rule
/// with two transport instances on one store, as two workers would hold them.
extension TransportConformanceTests {
    static let databases = Kind.databases

    static func throttled(_ number: Int, group: String? = nil) -> Envelope {
        Envelope(Throttled(number: number), stamps: group.map { [GroupStamp($0)] } ?? [])
    }

    static func numbered(_ number: Int, group: String? = nil) -> Envelope {
        Envelope(Numbered(number: number), stamps: group.map { [GroupStamp($0)] } ?? [])
    }

    /// The numbers of envelopes of either test type, in order.
    static func anyNumbers(_ envelopes: [Envelope]) -> [Int] {
        envelopes.compactMap { ($0.message as? Numbered)?.number ?? ($0.message as? Throttled)?.number }
    }

    /// Acknowledges envelopes and makes it durable at once.
    static func finish(_ envelopes: [Envelope], on transport: any Receiver) async throws {
        for envelope in envelopes { try await transport.ack(envelope) }
        try await transport.flush()
    }

    @Test("concurrency: a type limited to 1 never runs twice; other types are taken past it; the next starts once it is done", arguments: databases)
    func typeConcurrency(kind: Kind) async throws {
        try await withSubject(kind, limits: FlowLimits([FlowRule(.type(Throttled.messageName), concurrency: 1)])) { subject in
            var sent: [Envelope] = []
            for number in 1...3 { sent.append(try await subject.transport.send(Self.throttled(number))) }
            try await subject.send(4...5)
            let first = try await subject.transport.get(limit: 10)
            #expect(Self.anyNumbers(first) == [1, 4, 5])
            #expect(try await subject.other.get(limit: 10).isEmpty)
            let flow = try #require(subject.transport as? any FlowControlledTransport)
            #expect(try await flow.heldBack() == HeldBackCounts(limit: 2))
            let rowId = try #require(sent[1].last(TransportMessageIdStamp.self)?.id)
            #expect(try await flow.waitingReason(rowId: rowId) == "concurrency limit of Test.Throttled: 1 of 1 running")
            try await Self.finish(first, on: subject.transport)
            try await subject.withNewWorker { worker in
                let second = try await worker.get(limit: 10)
                #expect(Self.anyNumbers(second) == [2])
                #expect(try await subject.transport.get(limit: 10).isEmpty)
                try await Self.finish(second, on: worker)
            }
        }
    }

    @Test("concurrency of a prefix and of a queue: the budget is shared by everything the key matches", arguments: databases)
    func prefixAndQueueConcurrency(kind: Kind) async throws {
        try await withSubject(kind, limits: FlowLimits([FlowRule(.prefix("Test."), concurrency: 3)])) { subject in
            for number in 1...3 { _ = try await subject.transport.send(Self.throttled(number)) }
            try await subject.send(4...6)
            #expect(Self.anyNumbers(try await subject.transport.get(limit: 2)) == [1, 2])
            #expect(Self.anyNumbers(try await subject.other.get(limit: 10)) == [3])
            #expect(try await subject.other.get(limit: 10).isEmpty)
        }
        let queue = "limited_" + UUID().uuidString.prefix(8).lowercased()
        try await withSubject(kind, queue: queue, limits: FlowLimits([FlowRule(.queue(queue), concurrency: 2)])) { subject in
            try await subject.send(1...4)
            #expect(Self.anyNumbers(try await subject.transport.get(limit: 10)) == [1, 2])
            #expect(try await subject.other.get(limit: 10).isEmpty)
        }
    }

    @Test("a slot held by a worker presumed dead moves with its message: the message is taken back, and still only one runs", arguments: databases)
    func deadWorkerSlot(kind: Kind) async throws {
        try await withSubject(kind, limits: FlowLimits([FlowRule(.type(Throttled.messageName), concurrency: 1)])) { subject in
            for number in 1...2 { _ = try await subject.transport.send(Self.throttled(number)) }
            #expect(Self.anyNumbers(try await subject.transport.get(limit: 10)) == [1])
            // Past redeliver_timeout (60 s here) the claim's worker is presumed dead.
            try await subject.advance(by: 61)
            let recovered = try await subject.other.get(limit: 10)
            #expect(Self.anyNumbers(recovered) == [1])
            #expect(recovered.first?.last(DeliveryCountStamp.self)?.count == 2)
            #expect(try await subject.other.get(limit: 10).isEmpty)
            try await Self.finish(recovered, on: subject.other)
            #expect(Self.anyNumbers(try await subject.withNewWorker { try await $0.get(limit: 10) }) == [2])
        }
    }

    @Test("a limit configured after messages were stored applies to those waiting", arguments: databases)
    func adoptedRows(kind: Kind) async throws {
        try await withSubject(kind) { subject in
            for number in 1...3 { _ = try await subject.transport.send(Self.throttled(number)) }
            let limits = FlowLimits([FlowRule(.type(Throttled.messageName), concurrency: 1)])
            try await subject.withReopened(limits: limits) { limited in
                let first = try await limited.get(limit: 10)
                #expect(Self.anyNumbers(first) == [1])
                #expect(try await limited.get(limit: 10).isEmpty)
                try await Self.finish(first, on: limited)
            }
            #expect(Self.anyNumbers(try await subject.withReopened(limits: limits) { try await $0.get(limit: 10) }) == [2])
        }
    }

    @Test("ordered groups: one message of a group at a time, in dispatch order, on every worker; other groups and free messages in parallel", arguments: databases)
    func orderedGroups(kind: Kind) async throws {
        try await withSubject(kind) { subject in
            _ = try await subject.transport.send(Self.numbered(1, group: "a"))
            _ = try await subject.transport.send(Self.numbered(2, group: "a"))
            _ = try await subject.transport.send(Self.numbered(3, group: "b"))
            let fourth = try await subject.transport.send(Self.numbered(4, group: "a"))
            try await subject.send(5...5)
            let first = try await subject.transport.get(limit: 10)
            #expect(Self.anyNumbers(first) == [1, 3, 5])
            #expect(try await subject.other.get(limit: 10).isEmpty)
            let flow = try #require(subject.transport as? any FlowControlledTransport)
            #expect(try await flow.heldBack() == HeldBackCounts(group: 2))
            let rowId = try #require(fourth.last(TransportMessageIdStamp.self)?.id)
            #expect(try await flow.waitingReason(rowId: rowId) == "ordered group \"a\": 2 earlier message(s) of the group first")
            try await Self.finish(first.filter { Self.anyNumbers([$0]) == [1] }, on: subject.transport)
            // The worker that moved the group on takes its next message at once; another, when it looks.
            let second = try await subject.transport.get(limit: 10)
            #expect(Self.anyNumbers(second) == [2])
            try await Self.finish(second, on: subject.transport)
            #expect(Self.anyNumbers(try await subject.withNewWorker { try await $0.get(limit: 10) }) == [4])
        }
    }

    @Test("a failed message holds its group while it waits for its retry; group_failure: continue lets the group go on", arguments: databases)
    func groupFailure(kind: Kind) async throws {
        // The retry of a deduplicated message is stored by the deduplicated insert: it holds its place too.
        for (holds, deduplicated) in [(true, false), (false, false), (true, true)] {
            let limits = FlowLimits(holds ? [] : [FlowRule(.type(Numbered.messageName), holdsGroupOnFailure: false)])
            try await withSubject(kind, limits: limits) { subject in
                let first = Self.numbered(1, group: "student-42")
                _ = try await subject.transport.send(deduplicated ? first.with(DeduplicateStamp("first")) : first)
                _ = try await subject.transport.send(Self.numbered(2, group: "student-42"))
                let claimed = try await subject.transport.get(limit: 10)
                #expect(Self.anyNumbers(claimed) == [1])
                // A minute: on PostgreSQL real time flows on (a stalled statement must not make it due).
                let retry = claimed[0].with(DelayStamp(milliseconds: 60_000), RedeliveryStamp(retryCount: 1))
                try await Self.replace(claimed[0], with: retry, via: subject.transport, on: subject, parked: false)
                let meanwhile = try await subject.other.get(limit: 10)
                #expect(Self.anyNumbers(meanwhile) == (holds ? [] : [2]), "holds: \(holds), deduplicated: \(deduplicated)")
                try await Self.finish(meanwhile, on: subject.other)
                try await subject.advance(by: 61)
                try await subject.withNewWorker { worker in
                    let retried = try await worker.get(limit: 10)
                    #expect(Self.anyNumbers(retried) == [1], "holds: \(holds), deduplicated: \(deduplicated)")
                    try await Self.finish(retried, on: worker)
                }
                #expect(Self.anyNumbers(try await subject.withNewWorker { try await $0.get(limit: 10) }) == (holds ? [2] : []), "holds: \(holds), deduplicated: \(deduplicated)")
            }
        }
    }

    @Test("rate limit: starts per interval shared by every worker; a limited worker is told when the next token comes", arguments: databases)
    func rateLimit(kind: Kind) async throws {
        let queue = "rated_" + UUID().uuidString.prefix(8).lowercased()
        // Two an hour: time that flows on PostgreSQL's clock during the test adds no token.
        try await withSubject(kind, queue: queue, limits: FlowLimits([FlowRule(.queue(queue), rateLimit: RateLimit(limit: 2, intervalMilliseconds: 3_600_000))])) { subject in
            try await subject.send(1...5)
            let first = try await subject.transport.get(limit: 10)
            #expect(Self.numbers(first) == [1, 2])
            try await Self.finish(first, on: subject.transport)
            let reference = subject.postgres == nil ? subject.clock.now : Date()
            #expect(try await subject.other.get(limit: 10).isEmpty)
            let flow = try #require(subject.transport as? any FlowControlledTransport)
            #expect(try await flow.heldBack() == HeldBackCounts(rate: 3))
            // Half an hour to the next token, not a poll.
            let next = try #require(try await (subject.other as? any DelayAwareReceiver)?.nextAvailableDate())
            #expect((1700...1801).contains(next.timeIntervalSince(reference)), "next token in \(next.timeIntervalSince(reference)) s")
            try await subject.advance(by: 1801)
            try await subject.withNewWorker { worker in
                let third = try await worker.get(limit: 10)
                #expect(Self.numbers(third) == [3])
                try await Self.finish(third, on: worker)
            }
            // A long pause fills the bucket to its limit, never more.
            try await subject.advance(by: 36_000)
            #expect(Self.numbers(try await subject.transport.get(limit: 10)) == [4, 5])
        }
    }
}
