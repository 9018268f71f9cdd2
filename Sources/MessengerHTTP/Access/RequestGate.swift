import Foundation
import HTTPTypes
import Hummingbird

/// Checks every request but `/healthz`: who it comes from (Basic, bearer token or session cookie),
/// whether their role allows it, and, for a state-changing request, that it comes from this site
/// (Origin, Sec-Fetch-Site) and, from a browser session, that it carries the session's CSRF token.
struct RequestGate: Sendable {
    let access: OperatorAccess
    let options: DashboardOptions

    static let sessionCookie = "messenger_session"
    static let csrfHeader = HTTPField.Name("X-CSRF-Token")!
    /// Sent by the dashboard's script: a 401 then carries no Basic challenge (no browser prompt).
    static let fetchHeader = HTTPField.Name("X-Requested-With")!

    /// Whether the request may have side effects.
    static func isUnsafe(_ method: HTTPRequest.Method) -> Bool { ![.get, .head, .options].contains(method) }

    /// The operator behind the request's credentials; nil when it carries none. Wrong credentials are
    /// a 401; a 403 with `Retry-After` once a user name has failed too often from the client's address
    /// (as GitHub's API answers: the credentials are refused, not the client's rate of requests).
    func identify(_ request: Request, client: String?) async throws -> Operator? {
        if let authorization = request.headers[.authorization] {
            let parts = authorization.split(separator: " ", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw unauthorized(request, "the Authorization header is malformed") }
            switch parts[0].lowercased() {
            case "basic":
                guard let decoded = Data(base64Encoded: parts[1]).map({ String(decoding: $0, as: UTF8.self) }), let colon = decoded.firstIndex(of: ":") else {
                    throw unauthorized(request, "the Basic credentials are malformed")
                }
                switch try await access.verifyPassword(name: String(decoded[..<colon]), password: String(decoded[decoded.index(after: colon)...]), client: client) {
                case .success(let user): return user
                case .failure(.invalid): throw unauthorized(request, "invalid user name or password")
                case .failure(.throttled(let wait)):
                    throw HTTPProblem(.forbidden, "too many failed logins for this user from this address; try again in \(wait) s", headers: [.retryAfter: "\(wait)"])
                }
            case "bearer":
                guard let user = try await access.verifyToken(parts[1]) else { throw unauthorized(request, "invalid or revoked API token") }
                return user
            default:
                throw unauthorized(request, "unsupported authorization scheme \"\(parts[0])\"; use Basic or Bearer")
            }
        }
        if let cookie = request.cookies[Self.sessionCookie]?.value, !cookie.isEmpty {
            return try await access.verifySession(cookie)
        }
        return nil
    }

    /// The operator allowed to make this request with `needed`; throws the refusal otherwise.
    func authorize(_ request: Request, needed: OperatorRole, client: String?) async throws -> Operator {
        guard let user = try await identify(request, client: client) else { throw unauthorized(request, "credentials are required") }
        if Self.isUnsafe(request.method) {
            try checkSameSite(request)
            if user.proof == .session {
                let sent = request.headers[Self.csrfHeader] ?? ""
                guard let expected = user.csrfToken, SecretDigest.constantTimeEqual(sent, expected) else {
                    throw HTTPProblem(.forbidden, "the CSRF token is missing or wrong; reload the page")
                }
            }
        }
        guard user.role.allows(needed) else {
            throw HTTPProblem(.forbidden, "\(user.name) is a \(user.role.rawValue): this needs the \(needed.rawValue) role")
        }
        return user
    }

    /// A state-changing request from another site is refused, whatever credentials it carries.
    func checkSameSite(_ request: Request) throws {
        if request.headers[HTTPField.Name("Sec-Fetch-Site")!] == "cross-site" {
            throw HTTPProblem(.forbidden, "cross-site requests may not change anything")
        }
        guard let origin = request.headers[HTTPField.Name("Origin")!] else { return }
        let host = request.head.authority ?? request.headers[HTTPField.Name("Host")!] ?? ""
        let originHost = URL(string: origin).flatMap { url in url.host.map { $0 + (url.port.map { ":\($0)" } ?? "") } }
        // An opaque origin ("null") has no host: refused like a foreign one.
        guard let originHost, originHost.lowercased() == host.lowercased() else {
            throw HTTPProblem(.forbidden, "the request's Origin \(origin) is not this server")
        }
    }

    func unauthorized(_ request: Request, _ message: String) -> HTTPProblem {
        var headers: HTTPFields = [:]
        if request.headers[Self.fetchHeader] == nil { headers[.wwwAuthenticate] = "Basic realm=\"messenger\", charset=\"UTF-8\"" }
        return HTTPProblem(.unauthorized, message, headers: headers)
    }

    /// The `Set-Cookie` value of a session (or of its removal, with an empty value).
    func sessionCookie(_ value: String, secure: Bool) -> String {
        let age = value.isEmpty ? 0 : Int(access.sessionLifetime)
        return "\(Self.sessionCookie)=\(value); Path=\(options.basePath.isEmpty ? "/" : options.basePath); Max-Age=\(age); HttpOnly; SameSite=Strict"
            + (secure || options.secureCookies ? "; Secure" : "")
    }
}
