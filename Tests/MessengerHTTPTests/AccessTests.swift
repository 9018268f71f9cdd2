import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Messenger
import MessengerConsole
@testable import MessengerHTTP
import Testing

@Suite("HTTP API: credentials, roles, CSRF, escaping")
struct AccessTests {
    let admin = DashboardFixture.basic(DashboardFixture.admin)
    let viewer = DashboardFixture.basic(DashboardFixture.viewer)

    static let adminRoutes: [(HTTPRequest.Method, String)] = [
        (.post, "/api/messages"), (.post, "/api/messages/retry"), (.post, "/api/messages/cancel"), (.delete, "/api/messages?all=true"),
        (.post, "/api/messages/x/cancel"), (.post, "/api/messages/x/retry"), (.post, "/api/queues/async/pause"), (.post, "/api/queues/async/resume"),
        (.post, "/api/schedules/default/nightly-probe/run"),
    ]
    static let viewerRoutes = [
        "/api/messages", "/api/messages/x", "/api/queues", "/api/schedules", "/api/workers", "/api/stats/throughput", "/api/openapi.yaml",
        "/metrics", "/readyz",
    ]
    static let pages = ["/", "/queues", "/messages", "/messages/x", "/schedules", "/workers"]

    @Test("only /healthz, the login form and its assets answer without credentials: the API says 401 with a Basic challenge, pages redirect to the login form")
    func credentialsRequired() async throws {
        let fixture = try await DashboardFixture()
        try await fixture.application.test(.router) { client in
            try await client.execute(uri: "/healthz", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/login", method: .get) { #expect($0.status == .ok && $0.text.contains("<form method=\"post\"")) }
            for (asset, type, marker) in [("/assets/dashboard.css", "text/css", "prefers-color-scheme"), ("/assets/dashboard.js", "text/javascript", "X-CSRF-Token")] {
                try await client.execute(uri: asset, method: .get) { response in
                    #expect(response.status == .ok, "\(asset)")
                    #expect(response.headers[.contentType]?.hasPrefix(type) == true, "\(asset)")
                    #expect(response.text.contains(marker), "\(asset)")
                }
            }
            for route in Self.viewerRoutes {
                try await client.execute(uri: route, method: .get) { response in
                    #expect(response.status == .unauthorized, "\(route)")
                    #expect(response.headers[.wwwAuthenticate]?.hasPrefix("Basic") == true)
                }
            }
            for (method, route) in Self.adminRoutes {
                try await client.execute(uri: route, method: method) { #expect($0.status == .unauthorized, "\(method) \(route)") }
            }
            for page in Self.pages {
                try await client.execute(uri: page, method: .get) { response in
                    #expect(response.status == .seeOther, "\(page)")
                    #expect(response.headers[.location]?.hasPrefix("/login?next=") == true)
                }
            }
            let wrong = DashboardFixture.basic((DashboardFixture.admin.0, "wrong"))
            try await client.execute(uri: "/api/queues", method: .get, headers: wrong) { #expect($0.status == .unauthorized) }
            try await client.execute(uri: "/api/queues", method: .get, headers: [.authorization: "Bearer nope"]) { #expect($0.status == .unauthorized) }
            try await client.execute(uri: "/api/queues", method: .get, headers: [.authorization: "Digest x"]) { #expect($0.status == .unauthorized) }
        }
        await fixture.close()
    }

    @Test("a viewer reads every route and page; each of its state-changing requests is 403 and changes nothing")
    func viewerRole() async throws {
        let fixture = try await DashboardFixture()
        try await fixture.application.test(.router) { client in
            for route in Self.viewerRoutes where !route.hasPrefix("/api/messages/x") {
                try await client.execute(uri: route, method: .get, headers: viewer) { #expect($0.status == .ok, "\(route)") }
            }
            for page in Self.pages where page != "/messages/x" {
                try await client.execute(uri: page, method: .get, headers: viewer) { #expect($0.status == .ok, "\(page)") }
            }
            for (method, route) in Self.adminRoutes {
                try await client.execute(uri: route, method: method, headers: viewer, body: DashboardFixture.json("{}")) {
                    #expect($0.status == .forbidden, "\(method) \(route)")
                }
            }
            #expect(try await fixture.kernel.pauseControls(forQueue: "async").controls.first?.pausedQueues().isEmpty == true)
        }
        await fixture.close()
    }

    @Test("API tokens: printed once, stored as a digest, accepted as Bearer with their role")
    func tokens() async throws {
        let fixture = try await DashboardFixture()
        let token = try await fixture.access.createToken("web-frontend", role: .admin)
        let stored = try await fixture.kernel.credentialStore!.credentials(kind: .token)
        #expect(stored.count == 1)
        #expect(stored[0].key != token && !stored[0].key.contains(token))
        try await fixture.application.test(.router) { client in
            try await client.execute(uri: "/api/queues/async/pause", method: .post, headers: [.authorization: "Bearer \(token)"]) { response in
                #expect(response.status == .ok)
                #expect(response.object["paused"] as? Bool == true)
            }
            try await client.execute(uri: "/api/queues/async/resume", method: .post, headers: [.authorization: "Bearer \(token)"]) {
                #expect($0.object["paused"] as? Bool == false)
            }
            try await client.execute(uri: "/api/queues/nope/pause", method: .post, headers: [.authorization: "Bearer \(token)"]) { #expect($0.status == .notFound) }
        }
        await fixture.close()
    }

    @Test("failed logins are throttled per user and address: after 3 failures even the right password is 403 with Retry-After there, not elsewhere")
    func throttle() async throws {
        let fixture = try await DashboardFixture()
        try await fixture.application.test(.router) { client in
            let wrong = DashboardFixture.basic((DashboardFixture.viewer.0, "guess"))
            for _ in 0..<3 { try await client.execute(uri: "/api/queues", method: .get, headers: wrong) { #expect($0.status == .unauthorized) } }
            try await client.execute(uri: "/api/queues", method: .get, headers: viewer) { response in
                #expect(response.status == .forbidden)
                #expect(Int(response.headers[.retryAfter] ?? "") ?? 0 > 0)
                #expect((response.object["error"] as? String ?? "").hasPrefix("too many failed logins for this user from this address; try again in "))
            }
            try await client.execute(uri: "/api/queues", method: .get, headers: admin) { #expect($0.status == .ok) }
        }
        // Whoever guesses from one address does not lock the user out from another.
        let (name, password) = DashboardFixture.viewer
        for _ in 0..<3 { #expect(try await fixture.access.verifyPassword(name: name, password: "guess", client: "192.0.2.7") == .failure(.invalid)) }
        guard case .failure(.throttled) = try await fixture.access.verifyPassword(name: name, password: password, client: "192.0.2.7") else {
            Issue.record("the guessing address is not throttled")
            return
        }
        #expect(try await fixture.access.verifyPassword(name: name, password: password, client: "192.0.2.1").map(\.name) == .success(name))
        await fixture.close()
    }

    @Test("a method a path does not serve is 405 with Allow; HEAD answers where GET does")
    func methodNotAllowed() async throws {
        let fixture = try await DashboardFixture()
        try await fixture.application.test(.router) { client in
            try await client.execute(uri: "/api/messages", method: .put, headers: admin) { response in
                #expect(response.status == .methodNotAllowed)
                #expect(Set((response.headers[.allow] ?? "").split(separator: ", ").map(String.init)) == ["GET", "HEAD", "POST", "DELETE"])
                #expect(response.object["error"] as? String == "/api/messages does not answer PUT; it answers POST, GET, DELETE, HEAD")
            }
            try await client.execute(uri: "/api/queues/async/pause", method: .get, headers: admin) { response in
                #expect(response.status == .methodNotAllowed)
                #expect(response.headers[.allow] == "POST")
            }
            try await client.execute(uri: "/healthz", method: .head) { #expect($0.status == .ok) }
            try await client.execute(uri: "/nowhere", method: .get, headers: admin) { #expect($0.status == .notFound) }
        }
        await fixture.close()
    }

    /// Logs in through the form; returns the cookie header and the page's CSRF token.
    func login(_ client: some TestClientProtocol) async throws -> (HTTPFields, String) {
        let form = "name=\(DashboardFixture.admin.0)&password=\(DashboardFixture.admin.1)&next=%2Fqueues"
        let response = try await client.execute(uri: "/login", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"], body: DashboardFixture.json(form))
        #expect(response.status == .seeOther)
        #expect(response.headers[.location] == "/queues")
        let cookie = try #require(response.headers[.setCookie])
        #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"))
        let value = try #require(cookie.split(separator: ";").first.map(String.init))
        let page = try await client.execute(uri: "/queues", method: .get, headers: [.cookie: value])
        #expect(page.status == .ok)
        let csrf = try #require(page.text.firstMatch(of: /data-csrf="([^"]+)"/)?.1).description
        return ([.cookie: value], csrf)
    }

    @Test("a browser session: the login form sets an HttpOnly SameSite=Strict cookie; its POSTs need the CSRF token and this origin")
    func session() async throws {
        let fixture = try await DashboardFixture()
        try await fixture.application.test(.router) { client in
            let (cookie, csrf) = try await login(client)
            try await client.execute(uri: "/api/queues/async/pause", method: .post, headers: cookie) { #expect($0.status == .forbidden) }
            var wrong = cookie
            wrong[RequestGate.csrfHeader] = "not-the-token"
            try await client.execute(uri: "/api/queues/async/pause", method: .post, headers: wrong) { #expect($0.status == .forbidden) }
            var crossSite = cookie
            crossSite[RequestGate.csrfHeader] = csrf
            crossSite[HTTPField.Name("Origin")!] = "https://evil.example"
            try await client.execute(uri: "/api/queues/async/pause", method: .post, headers: crossSite) { #expect($0.status == .forbidden) }
            #expect(try await fixture.kernel.pauseControls(forQueue: "async").controls[0].pausedQueues().isEmpty)
            var good = cookie
            good[RequestGate.csrfHeader] = csrf
            try await client.execute(uri: "/api/queues/async/pause", method: .post, headers: good) { #expect($0.status == .ok) }
            #expect(try await fixture.kernel.pauseControls(forQueue: "async").controls[0].pausedQueues() == ["async"])
            // Logging out ends the session for good.
            let form = "_csrf=\(csrf)"
            var logout = cookie
            logout[.contentType] = "application/x-www-form-urlencoded"
            try await client.execute(uri: "/logout", method: .post, headers: logout,
                                     body: DashboardFixture.json(form)) { #expect($0.status == .seeOther) }
            try await client.execute(uri: "/queues", method: .get, headers: cookie) { #expect($0.status == .seeOther) }
            // A wrong password on the form is a 401 page; the next parameter cannot leave the site.
            let bad = "name=ada&password=nope&next=https%3A%2F%2Fevil.example"
            try await client.execute(uri: "/login", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"], body: DashboardFixture.json(bad)) { response in
                #expect(response.status == .unauthorized)
                #expect(!response.text.contains("evil.example"))
            }
        }
        await fixture.close()
    }

    @Test("bodies, labels and errors are escaped: a <script> in a message shows as text on its page and in the list")
    func escaping() async throws {
        let fixture = try await DashboardFixture()
        try await fixture.application.test(.router) { client in
            var headers = admin
            headers[.contentType] = "application/json"
            let payload = #"{"type": "Messenger.Probe", "payload": {"label": "<script>alert(1)</script>", "failAttempts": 1}}"#
            let id = try #require(try await client.execute(uri: "/api/messages", method: .post, headers: headers, body: DashboardFixture.json(payload)).object["id"] as? String)
            try await fixture.consume()
            for page in ["/messages/\(id)", "/messages?q=script", "/messages?status=failed"] {
                try await client.execute(uri: page, method: .get, headers: admin) { response in
                    #expect(response.status == .ok, "\(page)")
                    #expect(!response.text.contains("<script>alert"), "\(page)")
                    #expect(response.headers[.contentSecurityPolicy]?.contains("script-src 'self'") == true)
                }
            }
            try await client.execute(uri: "/messages/\(id)", method: .get, headers: admin) { response in
                #expect(response.text.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
                #expect(response.text.contains("failed on purpose"))
            }
        }
        await fixture.close()
    }

    @Test("mounted under a base path: every route and redirect carries it, nothing answers outside it")
    func basePath() async throws {
        let fixture = try await DashboardFixture(options: DashboardOptions(basePath: "/messenger"))
        try await fixture.application.test(.router) { client in
            try await client.execute(uri: "/messenger/healthz", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/messenger/api/queues", method: .get, headers: viewer) { #expect($0.status == .ok) }
            try await client.execute(uri: "/messenger", method: .get) { response in
                #expect(response.status == .seeOther)
                #expect(response.headers[.location]?.hasPrefix("/messenger/login?next=") == true)
            }
            try await client.execute(uri: "/healthz", method: .get) { #expect($0.status == .notFound) }
            try await client.execute(uri: "/api/queues", method: .get, headers: viewer) { #expect($0.status == .notFound) }
        }
        await fixture.close()
    }

    @Test("/readyz is 503 naming the transport whose database cannot be reached, never its DSN")
    func readiness() async throws {
        let fixture = try await DashboardFixture(extraTransports: """
                archive:
                  dsn: 'sqlite:///proc/messenger-unreachable/archive.sqlite'
                  options: { queue_name: archive }
            """)
        try await fixture.application.test(.router) { client in
            try await client.execute(uri: "/readyz", method: .get, headers: viewer) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(response.object["error"] as? String == "cannot reach the database of archive")
                #expect(!response.text.contains("/proc/messenger-unreachable"))
            }
        }
        await fixture.close()
    }
}
