import Foundation
import Messenger
import MessengerPostgres
import MessengerSQLite
import MessengerTestSupport
import Testing

/// Status records, stated once for every transport that stores messages: every transition is
/// written with the transport's own write, so the record and the message never disagree.
extension TransportConformanceTests {
    static func identified(_ number: Int, delay: Int? = nil, stamps: [any Stamp] = []) -> Envelope {
        Envelope(Numbered(number: number), stamps: [MessageIdStamp()] + (delay.map { [DelayStamp(milliseconds: $0)] } ?? []) + stamps)
    }

    static func status(_ subject: Subject, _ envelope: Envelope) async throws -> MessageRecord {
        let id = try #require(envelope.messageId)
        return try #require(try await subject.records.record(id: id))
    }

    /// A failed message's retry or parked copy replacing the original: in one step where the
    /// receiver can, else sent then rejected (as the worker does).
    static func replace(_ original: Envelope, with replacement: Envelope, via sender: any Transport, on subject: Subject, parked: Bool) async throws {
        if let replacing = subject.transport as? any ReplacingReceiver, try replacing.replace(original, with: replacement, via: sender) {
            try await subject.transport.flush()
            return
        }
        _ = try await sender.send(replacement)
        let details = replacement.last(ErrorDetailsStamp.self)!
        try await subject.transport.reject(parked ? original.with(MessageOutcomeStamp(.failed(details))) : original)
        try await subject.transport.flush()
    }

    @Test("queued, scheduled, running (the worker's start report; a claim alone leaves it waiting), completed with its result and attempt", arguments: Kind.allCases)
    func recordLifecycle(kind: Kind) async throws {
        try await withSubject(kind) { subject in
            let now = try await subject.transport.send(Self.identified(1))
            let later = try await subject.transport.send(Self.identified(2, delay: 60_000))
            var record = try await Self.status(subject, now)
            #expect(record.status == .queued && record.type == "Test.Numbered" && record.attempts == 0 && record.transport == subject.name)
            #expect(record.body?.contains("\"number\":1") == true)
            #expect(try await Self.status(subject, later).status == .scheduled)

            let claimed = try #require(try await subject.transport.get(limit: 10).first)
            #expect(claimed.messageId == now.messageId)
            #expect(try await Self.status(subject, now).status == .queued)
            let start = MessageStart(messageId: now.messageId!, attempt: 1, startedAt: Date(timeIntervalSince1970: 1_800_000_000))
            try await subject.records.recordStarts([start])
            record = try await Self.status(subject, now)
            #expect(record.status == .running && record.attempts == 1 && record.workerId == WorkerIdentity.id && record.startedAt == start.startedAt)

            try await subject.records.reportProgress([ProgressReport(messageId: now.messageId!, fraction: 0.42, note: "3 of 7 files")])
            record = try await Self.status(subject, now)
            #expect(record.progress == 0.42 && record.progressNote == "3 of 7 files")

            try await subject.transport.ack(claimed.with(MessageOutcomeStamp(.completed(result: #"{"pages":3}"#), start: start)))
            try await subject.transport.flush()
            record = try await Self.status(subject, now)
            #expect(record.status == .completed && record.result == #"{"pages":3}"# && record.finishedAt != nil && record.rowId == nil)
            // A start reported late (the heartbeat after the acknowledgement) leaves a finished record alone.
            try await subject.records.recordStarts([start])
            #expect(try await Self.status(subject, now).status == .completed)

            // A message handled faster than a heartbeat goes from queued to completed, with its attempt.
            let quick = try await subject.transport.send(Self.identified(3))
            let quickClaim = try #require(try await subject.transport.get(limit: 10).first)
            try await subject.transport.ack(quickClaim.with(MessageOutcomeStamp(.completed(result: nil),
                                                                                start: MessageStart(messageId: quick.messageId!, attempt: 1, startedAt: Date()))))
            try await subject.transport.flush()
            record = try await Self.status(subject, quick)
            #expect(record.status == .completed && record.attempts == 1 && record.startedAt != nil && record.workerId == WorkerIdentity.id)
        }
    }

    @Test("a given-back claim waits again uncounted; a retry is retrying with its error; its next claim is attempt 2; parked, it is failed", arguments: Kind.allCases)
    func recordRetryAndPark(kind: Kind) async throws {
        try await withSubject(kind) { subject in
            let sent = try await subject.transport.send(Self.identified(1))
            var claimed = try await subject.transport.get(limit: 1)
            try await subject.records.recordStarts([MessageStart(messageId: sent.messageId!, attempt: 1, startedAt: Date())])
            try await subject.transport.release(claimed)
            var record = try await Self.status(subject, sent)
            #expect(record.status == .queued)

            claimed = try await subject.transport.get(limit: 1)
            let error = ErrorDetailsStamp(errorType: "Test.Boom", message: "boom", location: "handler noop")
            let retry = claimed[0].withoutAll(TransportMessageIdStamp.self).with(error, RedeliveryStamp(retryCount: 1), DelayStamp(milliseconds: 1000),
                                                                                  StoredStatusStamp(.retrying, attempts: 1))
            try await Self.replace(claimed[0], with: retry, via: subject.transport, on: subject, parked: false)
            record = try await Self.status(subject, sent)
            #expect(record.status == .retrying && record.attempts == 1 && record.errorType == "Test.Boom" && record.errorMessage == "boom"
                && record.errorHandler == "handler noop")

            try await subject.advance(by: 2)
            claimed = try await subject.transport.get(limit: 1)
            #expect(claimed.first?.messageId == sent.messageId)
            try await subject.records.recordStarts([MessageStart(messageId: sent.messageId!, attempt: 2, startedAt: Date())])
            record = try await Self.status(subject, sent)
            #expect(record.status == .running && record.attempts == 2)

            let parked = claimed[0].withoutAll(TransportMessageIdStamp.self).withoutAll(RedeliveryStamp.self)
                .with(ErrorDetailsStamp(errorType: "Test.Boom", message: "boom again", location: "handler noop"),
                      SentToFailureTransportStamp(originalTransportName: subject.name), StoredStatusStamp(.failed, attempts: 2))
            try await Self.replace(claimed[0], with: parked, via: subject.failure, on: subject, parked: true)
            record = try await Self.status(subject, sent)
            #expect(record.status == .failed && record.attempts == 2 && record.errorMessage == "boom again" && record.finishedAt != nil)
            #expect(try await subject.failure.list(limit: 10).first?.messageId == sent.messageId)
        }
    }

    @Test("cancel: a waiting message is removed at once; a running one is flagged for its worker; a finished one is left alone", arguments: Kind.allCases)
    func recordCancel(kind: Kind) async throws {
        try await withSubject(kind) { subject in
            let waiting = try await subject.transport.send(Self.identified(1, delay: 30_000))
            let running = try await subject.transport.send(Self.identified(2))
            let claimed = try await subject.transport.get(limit: 1)
            #expect(claimed.first?.messageId == running.messageId)
            try await subject.records.recordStarts([MessageStart(messageId: running.messageId!, attempt: 1, startedAt: Date())])

            #expect(try await subject.records.cancel(id: waiting.messageId!) == .cancelled)
            #expect(try await Self.status(subject, waiting).status == .cancelled)
            try await subject.advance(by: 40)
            #expect(try await subject.transport.get(limit: 10).isEmpty)

            #expect(try await subject.records.cancellationRequests(among: [running.messageId!]).isEmpty)
            #expect(try await subject.records.cancel(id: running.messageId!) == .cancelling)
            #expect(try await subject.records.cancellationRequests(among: [running.messageId!, waiting.messageId!]) == [running.messageId!])
            try await subject.transport.ack(claimed[0].with(MessageOutcomeStamp(.cancelled)))
            try await subject.transport.flush()
            #expect(try await Self.status(subject, running).status == .cancelled)
            #expect(try await subject.records.cancel(id: running.messageId!) == .alreadyFinished(.cancelled))
            #expect(try await subject.records.cancel(id: UUID().uuidString) == .missing)
        }
    }

    @Test("a discarded failure is failed with its error; a deduplicated dispatch answers with the pending message's id and status", arguments: Kind.allCases)
    func recordDiscardAndDeduplicate(kind: Kind) async throws {
        try await withSubject(kind) { subject in
            let first = try await subject.transport.send(Self.identified(1, stamps: [DeduplicateStamp("student-42")]))
            var answer = try #require(try await subject.transport.send(Self.identified(2, stamps: [DeduplicateStamp("student-42")])).last(DeduplicatedStamp.self))
            #expect(answer.existingId == first.messageId && answer.existingStatus == .queued)
            let handling = try await subject.transport.send(Self.identified(3, stamps: [DeduplicateStamp("sync", whileHandling: true)]))
            let claimed = try await subject.transport.get(limit: 10)
            answer = try #require(try await subject.transport.send(Self.identified(4, stamps: [DeduplicateStamp("sync", whileHandling: true)])).last(DeduplicatedStamp.self))
            #expect(answer.existingId == handling.messageId && answer.existingStatus == .running)
            #expect(try await Self.status(subject, first).origin == "dedup:student-42")

            let error = ErrorDetailsStamp(errorType: "Test.Fatal", message: "no way", location: "handler noop")
            try await subject.transport.reject(claimed[0].with(MessageOutcomeStamp(.failed(error))))
            try await subject.transport.flush()
            let record = try await Self.status(subject, first)
            #expect(record.status == .failed && record.errorType == "Test.Fatal")
        }
    }

    @Test("history: newest first, filtered by status, type, text of the body; pages continue after their cursor", arguments: Kind.allCases)
    func recordHistory(kind: Kind) async throws {
        try await withSubject(kind) { subject in
            var sent: [Envelope] = []
            for number in 1...7 {
                sent.append(try await subject.transport.send(Self.identified(number)))
                try await subject.advance(by: 1)
            }
            let claimed = try await subject.transport.get(limit: 2)
            for envelope in claimed { try await subject.transport.ack(envelope.with(MessageOutcomeStamp(.completed(result: nil)))) }
            try await subject.transport.flush()

            let all = try await subject.records.records(matching: MessageRecordQuery(type: "Test.Numbered", queue: subject.queue, limit: 100))
            #expect(all.map(\.id) == sent.reversed().map(\.messageId!))
            let completed = try await subject.records.records(matching: MessageRecordQuery(status: .completed, queue: subject.queue))
            #expect(Set(completed.map(\.id)) == Set(claimed.map(\.messageId!)))
            #expect(try await subject.records.records(matching: MessageRecordQuery(queue: subject.queue, search: "\"number\":5")).map(\.id) == [sent[4].messageId!])
            #expect(try await subject.records.records(matching: MessageRecordQuery(type: "Test.Other", queue: subject.queue)).isEmpty)

            let first = try await subject.records.records(matching: MessageRecordQuery(queue: subject.queue, limit: 3))
            let second = try await subject.records.records(matching: MessageRecordQuery(queue: subject.queue, limit: 3, after: MessageRecordCursor(after: first.last!)))
            let third = try await subject.records.records(matching: MessageRecordQuery(queue: subject.queue, limit: 3, after: MessageRecordCursor(after: second.last!)))
            #expect((first + second + third).map(\.id) == all.map(\.id))
            #expect(MessageRecordCursor(MessageRecordCursor(after: first.last!).description) == MessageRecordCursor(after: first.last!))
        }
    }

    @Test("retention: finished records past their age go, failed ones kept longer; by count, the newest N completed stay; waiting ones never go", arguments: Kind.allCases)
    func recordRetention(kind: Kind) async throws {
        try await withSubject(kind) { subject in
            for number in 1...6 { _ = try await subject.transport.send(Self.identified(number)) }
            let claimed = try await subject.transport.get(limit: 5)
            for envelope in claimed.prefix(4) { try await subject.transport.ack(envelope.with(MessageOutcomeStamp(.completed(result: nil)))) }
            let error = ErrorDetailsStamp(errorType: "E", message: "m", location: "l")
            try await subject.transport.reject(claimed[4].with(MessageOutcomeStamp(.failed(error))))
            try await subject.transport.flush()

            let retention = RecordRetention(completed: .seconds(60), failed: .seconds(600))
            #expect(try await subject.records.prune(retention, limit: 100) == 0)
            try await subject.advance(by: 120)
            #expect(try await subject.records.prune(retention, limit: 3) == 3)
            #expect(try await subject.records.prune(retention, limit: 100) == 1)
            let left = try await subject.records.records(matching: MessageRecordQuery(queue: subject.queue, limit: 100))
            #expect(Set(left.map(\.status)) == [MessageStatus.failed, .queued] && left.count == 2)
            try await subject.advance(by: 600)
            #expect(try await subject.records.prune(retention, limit: 100) == 1)

            let queued = try await subject.records.records(matching: MessageRecordQuery(status: .queued, queue: subject.queue))
            #expect(queued.count == 1)
            for number in 10...13 { _ = try await subject.transport.send(Self.identified(number)) }
            for envelope in try await subject.transport.get(limit: 10) { try await subject.transport.ack(envelope.with(MessageOutcomeStamp(.completed(result: nil)))) }
            try await subject.transport.flush()
            #expect(try await subject.records.prune(RecordRetention(maxFinished: 2), limit: 100) == 3)
            #expect(try await subject.records.records(matching: MessageRecordQuery(status: .completed, queue: subject.queue)).count == 2)
        }
    }

    @Test("tracking: none writes no record; failures records a message only once it fails", arguments: Kind.allCases)
    func recordTrackingModes(kind: Kind) async throws {
        var none = RecordOptions()
        none.tracking = .none
        try await withSubject(kind, records: none) { subject in
            let sent = try await subject.transport.send(Self.identified(1))
            let claimed = try await subject.transport.get(limit: 1)
            try await subject.transport.ack(claimed[0].with(MessageOutcomeStamp(.completed(result: nil))))
            try await subject.transport.flush()
            #expect(try await subject.records.record(id: sent.messageId!) == nil)
        }
        var failures = RecordOptions()
        failures.tracking = .failures
        try await withSubject(kind, records: failures) { subject in
            let sent = try await subject.transport.send(Self.identified(1))
            #expect(try await subject.records.record(id: sent.messageId!) == nil)
            let claimed = try await subject.transport.get(limit: 1)
            let retry = claimed[0].withoutAll(TransportMessageIdStamp.self)
                .with(ErrorDetailsStamp(errorType: "E", message: "m", location: "l"), RedeliveryStamp(retryCount: 1), DelayStamp(milliseconds: 10), StoredStatusStamp(.retrying))
            try await Self.replace(claimed[0], with: retry, via: subject.transport, on: subject, parked: false)
            #expect(try await Self.status(subject, sent).status == .retrying)
        }
    }

    @Test("a paused queue is not claimed from, while sends are stored; resumed, it is", arguments: Kind.allCases)
    func pausedQueue(kind: Kind) async throws {
        let queue = "paused_\(UUID().uuidString.prefix(8).lowercased())"
        try await withSubject(kind, queue: kind == .inMemory ? nil : queue) { subject in
            let control = subject.transport as! any QueuePauseControl
            let name = kind == .inMemory ? subject.name : queue
            try await control.pause(queue: name)
            #expect(try await control.pausedQueues().contains(name))
            _ = try await subject.transport.send(Self.identified(1))
            #expect(try await subject.transport.get(limit: 10).isEmpty)
            #expect(try await subject.transport.statistics().ready == 1)
            try await control.resume(queue: name)
            #expect(!(try await control.pausedQueues().contains(name)))
            #expect(Self.numbers(try await subject.transport.get(limit: 10)) == [1])
        }
    }

    @Test("workers record themselves; a stopped one says so, a silent one is gone; old ones are forgotten", arguments: Kind.allCases)
    func workerRecords(kind: Kind) async throws {
        try await withSubject(kind) { subject in
            let registry = subject.transport as! any WorkerRegistry
            let id = UUID().uuidString
            let started = Date()
            var worker = WorkerRecord(id: id, host: "host-a", pid: 42, receivers: ["async", "failed"], startedAt: started, heartbeatAt: started, handled: 3)
            try await registry.heartbeat(worker)
            var found = try #require(try await registry.workers().first { $0.id == id })
            #expect(found.host == "host-a" && found.pid == 42 && found.receivers == ["async", "failed"] && found.handled == 3)
            // Judged against the heartbeat's own clock (the test's, or the server's): a loaded machine
            // may take longer than the silence that means gone between the heartbeat and this line.
            #expect(found.state(at: found.heartbeatAt.addingTimeInterval(1)) == "running")
            #expect(found.state(at: found.heartbeatAt.addingTimeInterval(60)) == "gone")
            worker.stoppedAt = Date()
            try await registry.heartbeat(worker)
            found = try #require(try await registry.workers().first { $0.id == id })
            #expect(found.state() == "stopped")
            // Stopped two days ago (PostgreSQL keeps its own clock: the row is aged there), forgotten
            // with a one-day cutoff; a cutoff in the future would forget the workers of other tests
            // on the shared database.
            worker.stoppedAt = Date().addingTimeInterval(-2 * 86_400)
            try await registry.heartbeat(worker)
            try await subject.postgres?.connection.query("UPDATE messenger_workers SET stopped_at = now() - interval '2 days' WHERE id = $1", [.text(id)])
            try await registry.forgetWorkers(before: Date().addingTimeInterval(-86_400))
            #expect(try await registry.workers().first { $0.id == id } == nil)
        }
    }

    @Test("throughput: each heartbeat adds the attempts finished since the previous one; a day reads back from per-minute counts", arguments: [Kind.inMemory, .sqlite])
    func throughputRollups(kind: Kind) async throws {
        try await withSubject(kind) { subject in
            let outcome = try await ThroughputHeartbeats.run(registry: subject.transport as! any WorkerRegistry, records: subject.records, now: subject.clock.now)
            #expect((outcome.completed, outcome.failed) == (4, 5))
            #expect(outcome.alignedToHours && outcome.later.isEmpty)
        }
    }
}
