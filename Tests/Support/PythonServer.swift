import Foundation

/// A Python script run as a server on loopback (`/usr/bin/python3 script FOLDER ARGUMENTS...`, FOLDER a
/// scratch folder of its own): it prints `READY <port>` once it listens, and stops when its standard
/// input closes. Its output (stdout and stderr) can be waited on.
public final class PythonServer: Sendable {
    public let port: Int
    public let folder: TemporaryDirectory
    public let output = OutputBuffer()
    private let process: Process
    private let input: Pipe
    private let reader: PipeReader

    /// `what` names the server in a timeout, e.g. "the SMTP server (python3-aiosmtpd)"; `interpreter`
    /// is another Python (the test tools' environment, with packages from PyPI).
    public init(script: String, arguments: [String] = [], what: String, interpreter: String = "/usr/bin/python3") async throws {
        folder = try TemporaryDirectory("python-server")
        try folder.write("server.py", script)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: interpreter)
        process.arguments = [folder.file("server.py"), folder.path] + arguments
        let (input, pipe) = (Pipe(), Pipe())
        process.standardInput = input
        process.standardOutput = pipe
        process.standardError = pipe
        reader = PipeReader(pipe, into: output)
        try process.run()
        (self.process, self.input) = (process, input)
        let text = try await output.waitFor(timeout: .seconds(20), description: "\(what) to listen") { $0.contains(/READY \d+\n/) }
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("READY ") }), let port = Int(line.dropFirst(6)) else {
            throw TestSetupError(description: "\(what) did not say its port: \(text)")
        }
        self.port = port
    }

    /// A test that failed before `stop()` still stops the server: it exits with its input.
    deinit { try? input.fileHandleForWriting.close() }

    /// Closes its input, waits for it to exit, removes its folder.
    public func stop() {
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
        reader.waitForEnd()
        folder.remove()
    }
}
