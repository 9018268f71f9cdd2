import Foundation

/// A transport address such as `sqlite://var/messenger.sqlite?queue_name=mail` or
/// `postgresql://app:secret@db/app`.
///
/// Its `description` hides the password, so a DSN can be logged or shown in an error safely.
public struct DSN: Sendable, Equatable, CustomStringConvertible {
    public let scheme: String
    public let user: String?
    public let password: String?
    public let host: String?
    public let port: Int?
    /// The path after the authority, without its leading slash for relative forms.
    public let path: String
    /// Query parameters in order.
    public let query: [(String, String)]
    /// The address as written.
    public let raw: String

    public static func == (lhs: DSN, rhs: DSN) -> Bool { lhs.raw == rhs.raw }

    public init(parsing raw: String) throws {
        self.raw = raw
        guard let schemeEnd = raw.range(of: "://") else {
            throw MessengerError(.invalidDSN, "invalid transport DSN \"\(Self.redact(raw))\": expected SCHEME://..., e.g. sqlite://var/messenger.sqlite")
        }
        let scheme = String(raw[..<schemeEnd.lowerBound]).lowercased()
        guard !scheme.isEmpty, scheme.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "+" || $0 == "-" || $0 == "." }) else {
            throw MessengerError(.invalidDSN, "invalid transport DSN \"\(Self.redact(raw))\": bad scheme \"\(scheme)\"")
        }
        self.scheme = scheme
        var rest = Substring(raw[schemeEnd.upperBound...])
        var query: [(String, String)] = []
        if let mark = rest.firstIndex(of: "?") {
            for pair in rest[rest.index(after: mark)...].split(separator: "&") where !pair.isEmpty {
                let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                query.append((Self.percentDecode(parts[0]), parts.count > 1 ? Self.percentDecode(parts[1]) : ""))
            }
            rest = rest[..<mark]
        }
        self.query = query
        let authorityEnd = rest.firstIndex(of: "/") ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        let pathPart = rest[authorityEnd...]
        var hostPart = authority
        var user: String?
        var password: String?
        if let at = authority.lastIndex(of: "@") {
            let credentials = authority[..<at]
            hostPart = authority[authority.index(after: at)...]
            if let colon = credentials.firstIndex(of: ":") {
                user = Self.percentDecode(credentials[..<colon])
                password = Self.percentDecode(credentials[credentials.index(after: colon)...])
            } else {
                user = Self.percentDecode(credentials)
            }
        }
        self.user = user
        self.password = password
        var port: Int?
        if let colon = hostPart.lastIndex(of: ":"), !hostPart.hasSuffix("]") {
            let portText = hostPart[hostPart.index(after: colon)...]
            guard let value = Int(portText), (0...65535).contains(value) else {
                throw MessengerError(.invalidDSN, "invalid transport DSN \"\(Self.redact(raw))\": bad port \"\(portText)\"")
            }
            port = value
            hostPart = hostPart[..<colon]
        }
        self.port = port
        self.host = hostPart.isEmpty ? nil : String(hostPart)
        self.path = String(pathPart)
    }

    /// The value of a query parameter.
    public func option(_ name: String) -> String? { query.last { $0.0 == name }?.1 }

    /// The address with its password replaced by `***`.
    public var description: String { Self.redact(raw) }

    /// Hides the password of any `scheme://user:password@...` string, even a malformed one.
    public static func redact(_ text: String) -> String {
        let beforeQuery = text[..<(text.firstIndex(of: "?") ?? text.endIndex)]
        guard let at = beforeQuery.lastIndex(of: "@") else { return text }
        let start = beforeQuery[..<at].lastIndex(of: "/").map { beforeQuery.index(after: $0) } ?? beforeQuery.startIndex
        guard let colon = beforeQuery[start..<at].firstIndex(of: ":") else { return text }
        return String(text[...colon]) + "***" + String(text[at...])
    }

    private static func percentDecode(_ text: Substring) -> String {
        String(text).removingPercentEncoding ?? String(text)
    }
}
