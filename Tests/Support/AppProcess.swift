import Foundation
import Synchronization

/// The built `app` binary run as a child process, its output collected so that a test can wait for a
/// line to appear (an event) instead of sleeping.
public final class AppProcess: Sendable {
    /// `APP_BINARY`, else `.build/debug/app` of this package.
    public static var binary: String {
        if let path = ProcessInfo.processInfo.environment["APP_BINARY"] { return path }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/app").path
    }

    public let arguments: [String]
    public let standardOutput = OutputBuffer()
    public let standardError = OutputBuffer()
    private let process: Process
    private let exit = OutputBuffer()

    /// Starts `app ARGUMENTS` in `directory` with extra environment variables; as another user when
    /// `runAs` says so (through setpriv, for a test run by root that needs file permissions to bind);
    /// `input`, if any, is its standard input (closed after it). `executable` runs another program
    /// the same way (a test tool).
    public init(_ arguments: [String], directory: String, environment: [String: String] = [:], runAs user: (uid: Int, gid: Int)? = nil,
                input: String? = nil, executable: String = AppProcess.binary) throws {
        self.arguments = arguments
        let process = Process()
        if let user {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
            process.arguments = ["--reuid=\(user.uid)", "--regid=\(user.gid)", "--clear-groups", executable] + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
        }
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        let (out, err) = (Pipe(), Pipe())
        process.standardOutput = out
        process.standardError = err
        let stdin = input.map { _ in Pipe() }
        process.standardInput = stdin ?? FileHandle.nullDevice
        let readers = [PipeReader(out, into: standardOutput), PipeReader(err, into: standardError)]
        let exit = self.exit
        process.terminationHandler = { finished in
            // Everything the process wrote is read before its exit is announced.
            for reader in readers { reader.waitForEnd() }
            exit.append(Data("\(finished.terminationStatus)\n".utf8))
        }
        try process.run()
        self.process = process
        if let stdin, let input {
            try stdin.fileHandleForWriting.write(contentsOf: Data(input.utf8))
            try stdin.fileHandleForWriting.close()
        }
    }

    public var pid: Int32 { process.processIdentifier }

    /// A process a failed test left running is killed, not orphaned.
    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    /// Sends a signal (SIGTERM, SIGKILL, ...) while the process runs (once it has ended, its pid may be
    /// another process's).
    public func signal(_ number: Int32) {
        if process.isRunning { kill(process.processIdentifier, number) }
    }

    /// Waits for the process to end; returns its exit status (or the signal number for a killed one).
    @discardableResult
    public func waitForExit(timeout: Duration = .seconds(60)) async throws -> Int32 {
        let text = try await exit.waitFor(timeout: timeout, description: "exit of app \(arguments.joined(separator: " "))") { !$0.isEmpty }
        return Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
    }

    /// Waits until standard error has a line containing `text`; returns that line.
    @discardableResult
    public func waitForLog(_ text: String, timeout: Duration = .seconds(60)) async throws -> String {
        let all = try await standardError.waitFor(timeout: timeout, description: "log line \"\(text)\" from app \(arguments.joined(separator: " "))") { $0.contains(text) }
        return all.split(separator: "\n").first { $0.contains(text) }.map(String.init) ?? ""
    }

    /// Runs `app ARGUMENTS` (or `executable`) to completion.
    public static func run(_ arguments: [String], directory: String, environment: [String: String] = [:], runAs user: (uid: Int, gid: Int)? = nil,
                           input: String? = nil, timeout: Duration = .seconds(120), executable: String = AppProcess.binary)
        async throws -> (status: Int32, stdout: String, stderr: String) {
        let app = try AppProcess(arguments, directory: directory, environment: environment, runAs: user, input: input, executable: executable)
        let status = try await app.waitForExit(timeout: timeout)
        return (status, app.standardOutput.text, app.standardError.text)
    }
}

/// Text collected from a pipe, with waiters resumed when a condition on it becomes true.
public final class OutputBuffer: Sendable {
    private struct Waiter {
        let condition: @Sendable (String) -> Bool
        let continuation: CheckedContinuation<String, any Error>
    }

    private struct State {
        var text = ""
        var waiters: [UInt64: Waiter] = [:]
        var nextId: UInt64 = 0
        var observers: [@Sendable () -> Void] = []
    }

    private let state = Mutex(State())

    public init() {}

    public var text: String { state.withLock { $0.text } }

    public func append(_ data: Data) {
        guard !data.isEmpty else { return }
        let (ready, observers) = state.withLock { state -> ([(CheckedContinuation<String, any Error>, String)], [@Sendable () -> Void]) in
            state.text += String(decoding: data, as: UTF8.self)
            let text = state.text
            let done = state.waiters.filter { $0.value.condition(text) }
            for id in done.keys { state.waiters[id] = nil }
            return (done.values.map { ($0.continuation, text) }, state.observers)
        }
        for (continuation, text) in ready { continuation.resume(returning: text) }
        for observer in observers { observer() }
    }

    /// Calls `observer` after every append, outside the buffer's lock (to watch several buffers).
    public func onAppend(_ observer: @escaping @Sendable () -> Void) {
        state.withLock { $0.observers.append(observer) }
    }

    /// Waits until `condition` holds over the texts of `buffers` taken together (say, the logs of
    /// several processes); throws after `timeout`.
    public static func waitFor(_ buffers: [OutputBuffer], timeout: Duration, description: String,
                               _ condition: @escaping @Sendable ([String]) -> Bool) async throws {
        let (changes, continuation) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        defer { continuation.finish() }
        for buffer in buffers { buffer.onAppend { continuation.yield() } }
        continuation.yield()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for await _ in changes where condition(buffers.map(\.text)) { return }
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                throw TimeoutError(description: "timed out after \(timeout) waiting for \(description)")
            }
            try await group.next()
            group.cancelAll()
        }
    }

    /// Returns the text once `condition` holds, or throws after `timeout`.
    public func waitFor(timeout: Duration, description: String, _ condition: @escaping @Sendable (String) -> Bool) async throws -> String {
        let id = state.withLock { state -> UInt64 in state.nextId += 1; return state.nextId }
        let timer = Task { [weak self] in
            try await Task.sleep(for: timeout)
            let waiter = self?.state.withLock { $0.waiters.removeValue(forKey: id) }
            waiter?.continuation.resume(throwing: TimeoutError(description: "timed out after \(timeout) waiting for \(description); output so far:\n\(self?.text ?? "")"))
        }
        defer { timer.cancel() }
        return try await withCheckedThrowingContinuation { continuation in
            let immediate = state.withLock { state -> String? in
                if condition(state.text) { return state.text }
                state.waiters[id] = Waiter(condition: condition, continuation: continuation)
                return nil
            }
            if let immediate { continuation.resume(returning: immediate) }
        }
    }
}

public struct TimeoutError: Error, CustomStringConvertible {
    public let description: String
}
