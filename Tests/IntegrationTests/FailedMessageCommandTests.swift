import Foundation
import Messenger
import MessengerConsole
import MessengerTestSupport
import Testing

/// `messenger:failed:retry` and `messenger:failed:remove` run by two real `app` processes at once, on
/// SQLite and on PostgreSQL: a parked message is claimed before it is retried, so that it is handled
/// once and comes back (when it fails again) as one row.
@Suite("app failed-message commands from two processes", .serialized, .timeLimit(.minutes(3)))
struct FailedMessageCommandTests {
    enum Store: String, CaseIterable, CustomTestStringConvertible {
        case sqlite, postgres
        var testDescription: String { rawValue }
    }

    /// A project whose failure transport holds one parked probe, and its id.
    struct Parked {
        let run: @Sendable ([String]) async throws -> (status: Int32, stdout: String, stderr: String)
        let start: @Sendable ([String]) throws -> AppProcess
        let remove: @Sendable () async -> Void
        let id: String
    }

    /// `directly`: stored in the failure transport by `messenger:dispatch --transport failed`, for a
    /// probe whose handler would take too long to fail first.
    func parked(_ store: Store, probe: String, directly: Bool = false) async throws -> Parked {
        let (run, start, remove): (@Sendable ([String]) async throws -> (status: Int32, stdout: String, stderr: String), @Sendable ([String]) throws -> AppProcess, @Sendable () async -> Void)
        switch store {
        case .sqlite:
            let project = try TestProject()
            run = { try await AppProcess.run($0, directory: project.directory.path, environment: project.environment) }
            start = { try AppProcess($0, directory: project.directory.path, environment: project.environment) }
            remove = { project.remove() }
        case .postgres:
            let project = try PostgresProject()
            run = { try await AppProcess.run($0, directory: project.project.directory.path, environment: project.project.environment) }
            start = { try AppProcess($0, directory: project.project.directory.path, environment: project.project.environment) }
            remove = { await project.remove() }
        }
        if directly {
            #expect(try await run(["messenger:dispatch", "Messenger.Probe", probe, "--transport", "failed"]).status == 0)
        } else {
            #expect(try await run(["messenger:dispatch", "Messenger.Probe", probe]).status == 0)
            // Unrecoverable on its first attempt: parked at once.
            let worker = try await run(["messenger:consume", "async", "--stop-when-empty"])
            #expect(worker.status == 0, "\(worker.stderr)")
        }
        let failed = try json([FailedRow].self, try await run(["messenger:failed:show", "--format", "json"]).stdout)
        #expect(failed.count == 1)
        return Parked(run: run, start: start, remove: remove, id: try #require(failed.first?.id))
    }

    /// Starts a `failed:retry` of the parked message and, once its handler runs, a second one to the
    /// end: the first process, and what the second printed.
    func retryTwice(_ parked: Parked) async throws -> (first: AppProcess, second: (status: Int32, stdout: String, stderr: String)) {
        let first = try parked.start(["messenger:failed:retry", parked.id, "--force"])
        try await first.waitForLog("Probe started")
        return (first, try await parked.run(["messenger:failed:retry", parked.id, "--force"]))
    }

    @Test("two failed:retry of one id at once, the handler failing again: handled once, back as one row", arguments: Store.allCases)
    func concurrentRetries(store: Store) async throws {
        let parked = try await parked(store, probe: #"{"label": "twice", "failAttempts": 99, "unrecoverable": true, "sleepMilliseconds": 1000}"#)
        // The second finds the message claimed, or (should the first be done by then) replaced by its new row.
        let (first, second) = try await retryTwice(parked)
        #expect(second.status != 0)
        #expect(second.stdout.contains("being retried or handled by another process") || second.stdout.contains("No message with id \(parked.id)"))
        #expect(!second.stderr.contains("Probe started"))
        #expect(try await first.waitForExit() != 0)
        #expect(first.standardOutput.text.contains("failed again"))
        let failed = try json([FailedRow].self, try await parked.run(["messenger:failed:show", "--format", "json"]).stdout)
        #expect(failed.count == 1)
        #expect(failed.first?.error?.contains("attempt 2") == true)
        await parked.remove()
    }

    @Test("a message being retried is neither retried nor removed by another process; its retry process killed, it is still there (free at once on PostgreSQL)",
          arguments: Store.allCases)
    func heldWhileRetried(store: Store) async throws {
        let parked = try await parked(store, probe: #"{"label": "long", "sleepMilliseconds": 600000}"#, directly: true)
        let (first, second) = try await retryTwice(parked)
        #expect(second.status != 0)
        #expect(second.stdout.contains("Message \(parked.id) is being retried or handled by another process"))
        #expect(!second.stderr.contains("Probe started"))
        let removal = try await parked.run(["messenger:failed:remove", parked.id, "--force"])
        #expect(removal.status != 0)
        #expect(removal.stderr.contains("being retried or handled by another process: not removed"))
        first.signal(SIGKILL)
        #expect(try await first.waitForExit() == SIGKILL)
        // Never lost: still parked, once.
        #expect(try json([FailedRow].self, try await parked.run(["messenger:failed:show", "--format", "json"]).stdout).map(\.id) == [parked.id])
        var afterKill = try await parked.run(["messenger:failed:remove", parked.id, "--force"])
        switch store {
        case .postgres:
            // Once the server has ended the dead process's session, its claim is gone with it.
            let deadline = ContinuousClock.now + .seconds(20)
            while afterKill.status != 0, afterKill.stderr.contains("not removed"), ContinuousClock.now < deadline {
                afterKill = try await parked.run(["messenger:failed:remove", parked.id, "--force"])
            }
            #expect(afterKill.status == 0, "\(afterKill.stderr)")
        case .sqlite:
            // SQLite cannot tell a dead holder from a live one before redeliver_timeout.
            #expect(afterKill.stderr.contains("not removed"))
        }
        await parked.remove()
    }

    @Test("two failed:retry of one id, the handler succeeding: handled once and removed; the other finds it gone", arguments: Store.allCases)
    func concurrentRetriesSucceeding(store: Store) async throws {
        let parked = try await parked(store, probe: #"{"label": "once", "failAttempts": 1, "unrecoverable": true, "sleepMilliseconds": 1000}"#)
        let (first, second) = try await retryTwice(parked)
        #expect(second.status != 0)
        #expect(!second.stdout.contains("handled and removed"))
        #expect(try await first.waitForExit() == 0)
        #expect(first.standardOutput.text.contains("handled and removed"))
        #expect(handledProbes(first.standardError.text + second.stderr) == ["once"])
        let late = try await parked.run(["messenger:failed:retry", parked.id, "--force"])
        #expect(late.status != 0)
        #expect(late.stdout.contains("No message with id \(parked.id)"))
        #expect(try json([FailedRow].self, try await parked.run(["messenger:failed:show", "--format", "json"]).stdout).isEmpty)
        await parked.remove()
    }
}
