import Foundation

/// A real SMTP server on loopback (Debian's python3-aiosmtpd) that stores what it accepts in a folder.
/// Recipients starting with `busy` get a 451, with `nobody` a 550; with `requireAuth`, only
/// `mailer` / `secret` may send; with `requireStartTLS`, nothing is accepted before STARTTLS (with a
/// self-signed certificate made by openssl); with `implicitTLS`, TLS from the first byte (smtps).
public final class TestSMTPServer: Sendable {
    public let port: Int
    let folder: TemporaryDirectory
    public let output = OutputBuffer()
    private let process: Process
    private let input: Pipe
    private let outputs: [Pipe]

    static let script = #"""
        import os, socket, ssl, subprocess, sys
        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult, LoginPassword

        class Handler:
            def __init__(self, folder):
                self.folder, self.count = folder, 0
            async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
                if address.startswith('busy'):
                    return '451 4.3.0 Mailbox busy, try later'
                if address.startswith('nobody'):
                    return '550 5.1.1 No such user'
                envelope.rcpt_tos.append(address)
                return '250 OK'
            async def handle_DATA(self, server, session, envelope):
                self.count += 1
                path = os.path.join(self.folder, '%d.eml' % self.count)
                with open(path, 'wb') as f:
                    f.write(envelope.original_content)
                print('RECEIVED %s %s %s' % (envelope.mail_from, ','.join(envelope.rcpt_tos), path), flush=True)
                return '250 Message accepted'

        def authenticate(server, session, envelope, mechanism, auth_data):
            ok = isinstance(auth_data, LoginPassword) and auth_data.login == b'mailer' and auth_data.password == b'secret'
            return AuthResult(success=ok)

        probe = socket.socket()
        probe.bind(('127.0.0.1', 0))
        port = probe.getsockname()[1]
        probe.close()
        mode = sys.argv[2]
        options = dict(authenticator=authenticate, auth_require_tls=False, auth_required=True) if mode == 'auth' else {}
        if mode in ('starttls', 'tls'):
            key, cert = os.path.join(sys.argv[1], 'key.pem'), os.path.join(sys.argv[1], 'cert.pem')
            subprocess.run(['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert,
                            '-days', '1', '-subj', '/CN=localhost'], check=True, capture_output=True)
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(cert, key)
            options = dict(tls_context=context, require_starttls=True) if mode == 'starttls' else dict(ssl_context=context)
        controller = Controller(Handler(sys.argv[1]), hostname='127.0.0.1', port=port, **options)
        controller.start()
        print('READY %d' % port, flush=True)
        try:
            sys.stdin.read()
        finally:
            controller.stop()
        """#

    public init(requireAuth: Bool = false, requireStartTLS: Bool = false, implicitTLS: Bool = false) async throws {
        folder = try TemporaryDirectory("smtp")
        try folder.write("server.py", Self.script)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [folder.file("server.py"), folder.path, requireAuth ? "auth" : requireStartTLS ? "starttls" : implicitTLS ? "tls" : "open"]
        let (input, output, errors) = (Pipe(), Pipe(), Pipe())
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        let buffer = self.output
        output.fileHandleForReading.readabilityHandler = { handle in buffer.append(handle.availableData) }
        errors.fileHandleForReading.readabilityHandler = { handle in buffer.append(handle.availableData) }
        try process.run()
        self.process = process
        self.input = input
        outputs = [output, errors]
        let text = try await buffer.waitFor(timeout: .seconds(20), description: "the SMTP server to listen (python3-aiosmtpd)") { $0.contains("READY ") }
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("READY ") }), let port = Int(line.dropFirst(6)) else {
            throw TestSetupError(description: "the SMTP server did not say its port: \(text)")
        }
        self.port = port
    }

    /// Waits until the server has accepted `count` mails; returns their files' contents.
    public func received(_ count: Int) async throws -> [String] {
        let text = try await output.waitFor(timeout: .seconds(20), description: "\(count) mails") { $0.components(separatedBy: "RECEIVED ").count - 1 >= count }
        return try text.split(separator: "\n").filter { $0.hasPrefix("RECEIVED ") }.map { line in
            try String(contentsOfFile: String(line.split(separator: " ").last!), encoding: .utf8)
        }
    }

    /// A test that failed before `stop()` still leaves no handler behind (and the server exits with its input).
    deinit {
        for pipe in outputs { pipe.fileHandleForReading.readabilityHandler = nil }
        try? input.fileHandleForWriting.close()
    }

    public func stop() {
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
        // A readability handler left on a pipe that goes away crashes libdispatch: remove it first.
        for pipe in outputs { pipe.fileHandleForReading.readabilityHandler = nil }
        folder.remove()
    }
}
