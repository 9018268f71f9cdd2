import Foundation
import Messenger
import MessengerConsole
import MessengerSQLite
import MessengerTestSupport
import Testing

/// Runs the real `app` binary as worker processes on a real SQLite file, with real signals.
@Suite("app worker processes on SQLite", .serialized)
struct WorkerProcessTests {
    @Test("1,000 messages dispatched from code, drained by two concurrent workers: each handled exactly once")
    func exactlyOnceWithTwoWorkers() async throws {
        let project = try TestProject()
        defer { project.remove() }
        let queue = try project.transport()
        for number in 1...1000 { _ = try await queue.send(Envelope(Probe(label: "m\(number)"))) }
        let workers = try (0..<2).map { _ in try project.start("messenger:consume", "async", "--stop-when-empty", "--sleep", "0.05") }
        for worker in workers { #expect(try await worker.waitForExit() == 0) }
        let perWorker = workers.map { handledProbes($0.standardError.text) }
        let all = perWorker.flatMap { $0 }
        #expect(all.count == 1000)
        #expect(Set(all) == Set((1...1000).map { "m\($0)" }))
        #expect(try await queue.statistics().total == 0)
    }

    @Test("messages dispatched with messenger:dispatch are stored, then handled by a worker")
    func dispatchFromShell() async throws {
        let project = try TestProject()
        defer { project.remove() }
        for label in ["one", "two", "three"] {
            let result = try await project.run("messenger:dispatch", "Messenger.Probe", #"{"label": "\#(label)"}"#)
            #expect(result.status == 0)
            #expect(result.stdout.contains("sent to async"))
        }
        let delayed = try await project.run("messenger:dispatch", "Messenger.Probe", #"{"label": "later"}"#, "--delay", "3600")
        #expect(delayed.status == 0)
        let stats = try json([StatsRow].self, try await project.run("messenger:stats", "--format", "json").stdout)
        let async = try #require(stats.first { $0.transport == "async" }?.statistics)
        #expect((async.total, async.ready, async.delayed) == (4, 3, 1))
        let consumed = try await project.run("messenger:consume", "async", "--stop-when-empty")
        #expect(consumed.status == 0)
        #expect(handledProbes(consumed.stderr) == ["one", "two", "three"])
    }

    @Test("SIGTERM, SIGINT or SIGHUP during a slow handler: the message finishes, is acknowledged, and the worker exits 0", arguments: [SIGTERM, SIGINT, SIGHUP])
    func gracefulStop(signal: Int32) async throws {
        let project = try TestProject()
        defer { project.remove() }
        _ = try await project.transport().send(Envelope(Probe(label: "slow", sleepMilliseconds: 1500)))
        _ = try await project.transport().send(Envelope(Probe(label: "next")))
        let worker = try project.start("messenger:consume", "async")
        try await worker.waitForLog("Probe started")
        worker.signal(signal)
        #expect(try await worker.waitForExit() == 0)
        #expect(handledProbes(worker.standardError.text) == ["slow"])
        let stats = try await project.transport().statistics()
        #expect(stats.total == 1)
        #expect(stats.inFlight == 0)
    }

    @Test("kill -9 during a handler: the message is delivered again after redeliver_timeout and handled")
    func killedWorkerRedelivery() async throws {
        var project = try TestProject()
        defer { project.remove() }
        project.environment["MESSENGER_TRANSPORT_DSN"] = "sqlite://var/messenger.sqlite?redeliver_timeout=2"
        _ = try await project.transport().send(Envelope(Probe(label: "orphan", sleepMilliseconds: 30_000)))
        let doomed = try project.start("messenger:consume", "async")
        try await doomed.waitForLog("Probe started")
        doomed.signal(SIGKILL)
        #expect(try await doomed.waitForExit() == SIGKILL)
        #expect(try await project.transport().statistics().inFlight == 1)
        // The new worker's probe must not sleep 30 s again: shorten it in the stored row.
        _ = try await project.transport().connection.query("UPDATE messenger_messages SET body = replace(body, '30000', '10')")
        let rescuer = try project.start("messenger:consume", "async", "--limit", "1", "--sleep", "0.2")
        #expect(try await rescuer.waitForExit() == 0)
        let log = rescuer.standardError.text
        #expect(handledProbes(log) == ["orphan"])
        #expect(log.contains("delivered again (delivery 2)"))
        #expect(try await project.transport().statistics().total == 0)
    }

    @Test("a message that keeps killing its worker is parked after max_retries deliveries instead of looping")
    func poisonMessageParked() async throws {
        let config = TestProject.defaultConfig.replacingOccurrences(of: "max_retries: 2", with: "max_retries: 1")
        var project = try TestProject(config: config)
        defer { project.remove() }
        project.environment["MESSENGER_TRANSPORT_DSN"] = "sqlite://var/messenger.sqlite?redeliver_timeout=1"
        _ = try await project.transport().send(Envelope(Probe(label: "poison", sleepMilliseconds: 60_000)))
        for delivery in 1...2 {
            let victim = try project.start("messenger:consume", "async", "--sleep", "0.1")
            try await victim.waitForLog("Probe started")
            if delivery == 2 { #expect(victim.standardError.text.contains("delivered again (delivery 2)")) }
            victim.signal(SIGKILL)
            try await victim.waitForExit()
        }
        let last = try project.start("messenger:consume", "async", "--limit", "1", "--sleep", "0.1")
        #expect(try await last.waitForExit() == 0)
        #expect(!last.standardError.text.contains("Probe started"))
        let failed = try json([FailedRow].self, try await project.run("messenger:failed:show", "--format", "json").stdout)
        #expect(failed.count == 1)
        #expect(failed.first?.errorType == "Messenger.AbandonedDeliveryError")
        #expect(failed.first?.error?.contains("started 2 time(s) and never acknowledged") == true)
        #expect(try await project.transport().statistics().total == 0)
    }

    @Test("a worker SIGKILLed in the middle of a batch: the messages it never started are not counted against the poison check")
    func killedBatchNotCounted() async throws {
        // max_retries 0: a single delivery counted as abandoned parks a message.
        var project = try TestProject(config: TestProject.defaultConfig.replacingOccurrences(of: "max_retries: 2", with: "max_retries: 0"))
        defer { project.remove() }
        project.environment["MESSENGER_TRANSPORT_DSN"] = "sqlite://var/messenger.sqlite?redeliver_timeout=1"
        let queue = try project.transport()
        let labels = (0..<2000).map { "c\($0)" }
        _ = try await queue.send(contentsOf: labels.map { Envelope(Probe(label: $0, sleepMilliseconds: 1)) })
        let victim = try project.start("messenger:consume", "async", "--batch-size", "200")
        _ = try await victim.standardError.waitFor(timeout: .seconds(60), description: "300 messages handled") { handledCount($0) >= 300 }
        victim.signal(SIGKILL)
        #expect(try await victim.waitForExit() == SIGKILL)
        let startedByVictim = Set(startedProbes(victim.standardError.text))
        let claimed = try await queue.statistics().inFlight
        #expect(claimed > 0)
        // The rescuer takes the victim's claims once redeliver_timeout has passed; no output says the
        // table is empty, so ask the database.
        let rescuer = try project.start("messenger:consume", "async", "--sleep", "0.1")
        let deadline = ContinuousClock.now + .seconds(60)
        while try await queue.statistics().total > 0, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        try await rescuer.waitForLog("Consuming messages")
        rescuer.signal(SIGTERM)
        #expect(try await rescuer.waitForExit() == 0)
        let parked = try json([FailedRow].self, try await project.run("messenger:failed:show", "--format", "json").stdout)
        let handled = Set(handledProbes(victim.standardError.text + rescuer.standardError.text))
        // Only a message certain to have been started (the head of the victim's last batch) may count:
        // the rest of the \(claimed) claimed messages were handled by the rescuer.
        #expect(parked.count <= 1, "\(parked.count) messages parked")
        var parkedLabels: [String] = []
        for row in parked {
            let shown = try await project.run("messenger:failed:show", row.id)
            parkedLabels.append(try #require(labels.first { shown.stdout.contains("\"\($0)\"") }))
        }
        #expect(parkedLabels.allSatisfy { startedByVictim.contains($0) })
        #expect(handled.union(parkedLabels) == Set(labels))
    }

    @Test("a worker whose log pipe closes keeps working (no SIGPIPE death) and stops cleanly")
    func closedLogPipe() async throws {
        let project = try TestProject()
        defer { project.remove() }
        let queue = try project.transport()
        _ = try await queue.send(contentsOf: (0..<20).map { Envelope(Probe(label: "p\($0)")) })
        let process = Process()
        process.executableURL = URL(fileURLWithPath: AppProcess.binary)
        process.arguments = ["messenger:consume", "async", "--sleep", "0.05", "-v"]
        process.currentDirectoryURL = URL(fileURLWithPath: project.directory.path)
        let (output, errors) = (Pipe(), Pipe())
        process.standardOutput = output
        process.standardError = errors
        let exited = OutputBuffer()
        process.terminationHandler = { exited.append(Data("\($0.terminationStatus) \($0.terminationReason == .uncaughtSignal)\n".utf8)) }
        // Nobody reads the logs: the pipe is closed before the worker writes its first line.
        try errors.fileHandleForReading.close()
        try output.fileHandleForReading.close()
        try process.run()
        let deadline = ContinuousClock.now + .seconds(60)
        while try await queue.statistics().total > 0, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(try await queue.statistics().total == 0)
        #expect(process.isRunning)
        process.terminate()
        let status = try await exited.waitFor(timeout: .seconds(30), description: "the worker's exit") { !$0.isEmpty }
        #expect(status == "0 false\n")
    }

    @Test("failures are retried with back-off, then parked; failed:show, failed:retry and failed:remove act on them")
    func failureTransportFlow() async throws {
        let project = try TestProject()
        defer { project.remove() }
        _ = try await project.run("messenger:dispatch", "Messenger.Probe", #"{"label": "doomed", "failAttempts": 99}"#)
        _ = try await project.run("messenger:dispatch", "Messenger.Probe", #"{"label": "healable", "failAttempts": 3}"#)
        let worker = try await project.run("messenger:consume", "async", "--limit", "6", "--sleep", "0.02")
        #expect(worker.status == 0)
        // Failures of one kind in one batch: the first in full, the others summed up in one line.
        #expect(parkedCount(worker.stderr, in: "failed") == 2)

        var failed = try json([FailedRow].self, try await project.run("messenger:failed:show", "--format", "json").stdout)
        #expect(failed.count == 2)
        #expect(failed.allSatisfy { $0.retries == 2 && $0.errorType == "MessengerConsole.ProbeFailure" && $0.originalTransport == "async" })
        let text = try await project.run("messenger:failed:show")
        #expect(text.stdout.contains("probe doomed failed on purpose (attempt 3)"))

        let doomedId = try #require(failed.first { $0.error?.contains("doomed") == true }?.id)
        let healableId = try #require(failed.first { $0.error?.contains("healable") == true }?.id)
        let healed = try await project.run("messenger:failed:retry", healableId, "--force")
        #expect(healed.status == 0)
        #expect(healed.stdout.contains("handled and removed"))
        let stillFailing = try await project.run("messenger:failed:retry", doomedId, "--force")
        #expect(stillFailing.status != 0)
        #expect(stillFailing.stdout.contains("failed again"))

        failed = try json([FailedRow].self, try await project.run("messenger:failed:show", "--format", "json").stdout)
        #expect(failed.count == 1)
        #expect(failed[0].error?.contains("attempt 4") == true)
        let refused = try await project.run("messenger:failed:remove", failed[0].id)
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("--force"))
        let removed = try await project.run("messenger:failed:remove", failed[0].id, "--force")
        #expect(removed.status == 0)
        #expect(try json([FailedRow].self, try await project.run("messenger:failed:show", "--format", "json").stdout).isEmpty)
    }

    @Test("messenger:stop-workers stops a running worker through the database")
    func stopWorkers() async throws {
        let project = try TestProject()
        defer { project.remove() }
        let worker = try project.start("messenger:consume", "async", "--sleep", "0.1")
        try await worker.waitForLog("Consuming messages")
        let stop = try await project.run("messenger:stop-workers")
        #expect(stop.status == 0)
        #expect(try await worker.waitForExit() == 0)
        #expect(worker.standardError.text.contains("Worker stopped (messenger:stop-workers)"))
        // A worker started after the signal is not affected by it.
        let later = try await project.run("messenger:consume", "async", "--stop-when-empty")
        #expect(later.stderr.contains("Worker stopped (no more messages)"))
    }

    @Test("receivers are consumed in the order given: the first is drained before the next")
    func receiverPriority() async throws {
        let project = try TestProject()
        defer { project.remove() }
        _ = try await project.run("messenger:dispatch", "Messenger.Probe", #"{"label": "low"}"#)
        _ = try await project.run("messenger:dispatch", "Messenger.Probe", #"{"label": "high1"}"#, "--transport", "high")
        _ = try await project.run("messenger:dispatch", "Messenger.Probe", #"{"label": "high2"}"#, "--transport", "high")
        let worker = try await project.run("messenger:consume", "high", "async", "--stop-when-empty")
        #expect(handledProbes(worker.stderr) == ["high1", "high2", "low"])
    }

    @Test("limits stop the worker with exit 0: message count, time, memory")
    func limits() async throws {
        let project = try TestProject()
        defer { project.remove() }
        for label in ["a", "b", "c"] { _ = try await project.transport().send(Envelope(Probe(label: label))) }
        let limited = try await project.run("messenger:consume", "async", "--limit", "2")
        #expect(limited.status == 0)
        #expect(handledProbes(limited.stderr) == ["a", "b"])
        #expect(try await project.transport().statistics().ready == 1)
        let timed = try await project.run("messenger:consume", "high", "--time-limit", "1", "--sleep", "0.1")
        #expect(timed.status == 0)
        #expect(timed.stderr.contains("time limit reached"))
        let memory = try await project.run("messenger:consume", "async", "--memory-limit", "1K")
        #expect(memory.status == 0)
        #expect(memory.stderr.contains("memory limit exceeded"))
    }
}
