import Foundation

/// A stand-in for the student information system on loopback (Python's http.server): for student
/// numbers starting with `404` it answers 404, `500` a 500, `bad` a body that is not JSON, `slow` after
/// 5 s; otherwise two enrollments. Every request is printed as `GET <path>`. It stops when its standard
/// input closes (`stop()`; see `PythonServer`).
public final class TestApogeeServer: Sendable {
    private let server: PythonServer
    public let url: String
    public var output: OutputBuffer { server.output }

    static let script = #"""
        import http.server, json, sys, time

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                print('GET %s' % self.path, flush=True)
                parts = self.path.strip('/').split('/')
                if len(parts) != 3 or parts[0] != 'students' or parts[2] != 'enrollments':
                    return self.answer(404, b'{"error": "no such resource"}')
                number = parts[1]
                if number.startswith('404'):
                    return self.answer(404, b'{"error": "unknown student"}')
                if number.startswith('500'):
                    return self.answer(500, b'{"error": "database down"}')
                if number.startswith('bad'):
                    return self.answer(200, b'<html>maintenance</html>')
                if number.startswith('slow'):
                    time.sleep(5)
                body = [{"academicYear": "2026-2027", "program": "Licence Informatique", "stage": "registered"},
                        {"academicYear": "2025-2026", "program": "Licence Informatique", "stage": "completed"}]
                self.answer(200, json.dumps(body).encode())
            def answer(self, status, body):
                self.send_response(status)
                self.send_header('Content-Type', 'application/json')
                self.send_header('Content-Length', str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            def log_message(self, *args):
                pass

        import threading
        server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        print('READY %d' % server.server_address[1], flush=True)
        sys.stdin.read()
        """#

    public init() async throws {
        server = try await PythonServer(script: Self.script, what: "the Apogee stand-in")
        url = "http://127.0.0.1:\(server.port)"
    }

    /// How many requests a path received.
    public func requests(_ path: String) -> Int { output.text.components(separatedBy: "GET \(path)\n").count - 1 }

    public func stop() { server.stop() }
}
