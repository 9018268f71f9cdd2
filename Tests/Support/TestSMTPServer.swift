import Foundation

/// A real SMTP server on loopback (Debian's python3-aiosmtpd) that stores what it accepts in a folder.
/// Recipients starting with `busy` get a 451, with `nobody` a 550; with `requireAuth`, only
/// `mailer` / `secret` may send (every AUTH attempt is printed as `AUTH-ATTEMPT`); with `requireStartTLS`,
/// nothing is accepted before STARTTLS (with a self-signed certificate made by openssl), and with
/// both, AUTH only after STARTTLS; with `implicitTLS`, TLS from the first byte (smtps).
public final class TestSMTPServer: Sendable {
    private let server: PythonServer
    public var port: Int { server.port }
    public var output: OutputBuffer { server.output }

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
            print('AUTH-ATTEMPT %s tls=%s ok=%s' % (mechanism, session.ssl is not None, ok), flush=True)
            return AuthResult(success=ok)

        probe = socket.socket()
        probe.bind(('127.0.0.1', 0))
        port = probe.getsockname()[1]
        probe.close()
        mode = sys.argv[2]
        options = dict(authenticator=authenticate, auth_require_tls=False, auth_required=True) if mode == 'auth' else {}
        if mode in ('starttls', 'starttls-auth', 'tls'):
            key, cert = os.path.join(sys.argv[1], 'key.pem'), os.path.join(sys.argv[1], 'cert.pem')
            subprocess.run(['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert,
                            '-days', '1', '-subj', '/CN=localhost'], check=True, capture_output=True)
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(cert, key)
            if mode == 'starttls':
                options = dict(tls_context=context, require_starttls=True)
            elif mode == 'starttls-auth':
                options = dict(tls_context=context, require_starttls=True, authenticator=authenticate, auth_require_tls=True, auth_required=True)
            else:
                options = dict(ssl_context=context)
        controller = Controller(Handler(sys.argv[1]), hostname='127.0.0.1', port=port, **options)
        controller.start()
        print('READY %d' % port, flush=True)
        try:
            sys.stdin.read()
        finally:
            controller.stop()
        """#

    public init(requireAuth: Bool = false, requireStartTLS: Bool = false, implicitTLS: Bool = false) async throws {
        let mode = requireAuth && requireStartTLS ? "starttls-auth" : requireAuth ? "auth" : requireStartTLS ? "starttls" : implicitTLS ? "tls" : "open"
        server = try await PythonServer(script: Self.script, arguments: [mode], what: "the SMTP server (python3-aiosmtpd)")
    }

    /// Waits until the server has accepted `count` mails; returns their files' contents.
    public func received(_ count: Int) async throws -> [String] {
        let text = try await output.waitFor(timeout: .seconds(20), description: "\(count) mails") { $0.components(separatedBy: "RECEIVED ").count - 1 >= count }
        return try text.split(separator: "\n").filter { $0.hasPrefix("RECEIVED ") }.map { line in
            try String(contentsOfFile: String(line.split(separator: " ").last!), encoding: .utf8)
        }
    }

    public func stop() { server.stop() }
}
