import Foundation

/// A transport address such as `sqlite://var/messenger.sqlite?queue_name=mail` or
/// `postgresql://app:secret@db/app`.
///
/// Its `description` hides the password (and any secret query parameter), so a DSN can be logged or
/// shown in an error safely. Parsing is strict: a bad percent escape, a bad port or an unclosed IPv6
/// address is an error that shows the DSN with its secrets hidden (`DSN.redact`), never the DSN itself.
public struct DSN: Sendable, Equatable, CustomStringConvertible {
    /// The scheme: `sqlite`, `postgresql`, `in-memory`, `sync`, ….
    public let scheme: String
    /// The user, decoded.
    public let user: String?
    /// The password, decoded: never print it (the DSN's `description` hides it).
    public let password: String?
    /// The host.
    public let host: String?
    /// The port.
    public let port: Int?
    /// The path after the authority, without its leading slash for relative forms.
    public let path: String
    /// Query parameters in order.
    public let query: [(String, String)]
    /// The address as written.
    public let raw: String

    public static func == (lhs: DSN, rhs: DSN) -> Bool { lhs.raw == rhs.raw }

    /// Parses `raw`; an error that says what is wrong without repeating the password.
    public init(parsing raw: String) throws {
        self.raw = raw
        func invalid(_ reason: String) -> MessengerError {
            MessengerError(.invalidDSN, "invalid DSN \"\(Self.redact(raw))\": \(reason)")
        }
        guard let schemeEnd = raw.range(of: "://") else {
            throw invalid("expected SCHEME://..., e.g. sqlite://var/messenger.sqlite")
        }
        let scheme = String(raw[..<schemeEnd.lowerBound]).lowercased()
        guard !scheme.isEmpty, scheme.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "+" || $0 == "-" || $0 == "." }) else {
            throw invalid("bad scheme \"\(Self.redact(scheme))\"")
        }
        self.scheme = scheme
        var rest = Substring(raw[schemeEnd.upperBound...])
        if rest.contains("#") {
            throw invalid(Self.misplacedHint(raw, found: "a \"#\" (a fragment) has no meaning in a DSN"))
        }
        var query: [(String, String)] = []
        if let mark = rest.firstIndex(of: "?") {
            for pair in rest[rest.index(after: mark)...].split(separator: "&") where !pair.isEmpty {
                let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                let name = try Self.percentDecode(parts[0], part: "a query parameter name", in: raw)
                let value = try Self.percentDecode(parts.count > 1 ? parts[1] : "", part: "the value of \(name)", in: raw)
                query.append((name, value))
            }
            rest = rest[..<mark]
        }
        self.query = query
        let authorityEnd = rest.firstIndex(of: "/") ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        // `user:pa/ss@host` or `user:pa?ss@host`: the `@` that ends the credentials comes after the
        // authority ends, in the path or in a query "parameter" without `=`.
        if !authority.contains("@"), authority.contains(":"),
           rest[authorityEnd...].contains("@") || query.contains(where: { $0.1.isEmpty && $0.0.contains("@") }) {
            throw invalid(Self.misplacedHint(raw, found: "an \"@\" after the host"))
        }
        var hostPart = authority
        var user: String?
        var password: String?
        if let at = authority.lastIndex(of: "@") {
            let credentials = authority[..<at]
            hostPart = authority[authority.index(after: at)...]
            if let colon = credentials.firstIndex(of: ":") {
                user = try Self.percentDecode(credentials[..<colon], part: "the user", in: raw)
                password = try Self.percentDecode(credentials[credentials.index(after: colon)...], part: "the password", in: raw)
            } else {
                user = try Self.percentDecode(credentials, part: "the user", in: raw)
            }
        }
        self.user = user
        self.password = password
        var port: Int?
        if hostPart.hasPrefix("[") {
            guard let close = hostPart.firstIndex(of: "]") else {
                throw invalid("the IPv6 address after \"[\" has no closing \"]\"")
            }
            let after = hostPart[hostPart.index(after: close)...]
            guard after.isEmpty || after.hasPrefix(":") else { throw invalid("unexpected text after the IPv6 address: \"\(after)\"") }
            if after.hasPrefix(":") {
                port = try Self.port(after.dropFirst(), raw: raw)
                hostPart = hostPart[...close]
            }
        } else if let colon = hostPart.lastIndex(of: ":") {
            port = try Self.port(hostPart[hostPart.index(after: colon)...], raw: raw)
            hostPart = hostPart[..<colon]
        }
        self.port = port
        let host = try Self.percentDecode(hostPart, part: "the host", in: raw)
        self.host = host.isEmpty ? nil : host
        self.path = try Self.percentDecode(rest[authorityEnd...], part: "the path", in: raw)
    }

    private static func port(_ text: Substring, raw: String) throws -> Int {
        guard let value = Int(text), (0...65535).contains(value) else {
            // Digits are shown; anything else may be part of a password.
            let reason = text.allSatisfy(\.isNumber) && !text.isEmpty ? "bad port \"\(text)\": not from 0 to 65535" : "bad port: not a number from 0 to 65535"
            throw MessengerError(.invalidDSN, "invalid DSN \"\(redact(raw))\": \(misplacedHint(raw, found: reason))")
        }
        return value
    }

    /// Says that a `/`, `?`, `#` or `@` in a password must be percent-encoded, when the DSN looks like
    /// it holds one: the parse stopped before an `@`.
    private static func misplacedHint(_ raw: String, found reason: String) -> String {
        guard let schemeEnd = raw.range(of: "://"), raw[schemeEnd.upperBound...].contains("@") else { return reason }
        return reason + "; if the user or password holds \"/\", \"?\", \"#\" or \"@\", percent-encode them (%2F, %3F, %23, %40)"
    }

    /// The value of a query parameter.
    public func option(_ name: String) -> String? { query.last { $0.0 == name }?.1 }

    /// The address with its password and secret query parameters replaced by `***`.
    public var description: String { Self.redact(raw) }

    /// Hides the secrets of a DSN, even one that does not parse: everything between `SCHEME://USER:`
    /// and the last `@` (a password may hold `/`, `?`, `#` or `@` unescaped), the whole user part of a
    /// scheme that may carry a token there (`sendgrid://KEY@default`), and the value of every query
    /// parameter named like a secret (`password=`, `token=`, ...) or like an address (`listen_dsn=`).
    public static func redact(_ dsn: String) -> String {
        let start = dsn.range(of: "://")?.upperBound ?? dsn.startIndex
        let scheme = dsn[..<(dsn.range(of: "://")?.lowerBound ?? dsn.startIndex)].lowercased()
        var result = String(dsn[..<start])
        var rest = dsn[start...]
        if let at = rest.lastIndex(of: "@") {
            let credentials = rest[..<at]
            if !scheme.isEmpty && !usersArePublic.contains(scheme) {
                result += "***"
            } else if let colon = credentials.firstIndex(of: ":") {
                result += String(credentials[...colon]) + "***"
            } else {
                result += String(credentials)
            }
            rest = rest[at...]
        }
        return result + redactSecretParameters(rest)
    }

    /// Free text (an error message, a report) with the secrets of every address in it hidden as
    /// `redact` hides them: `cannot connect to "postgresql://app:***@db/app"`. An address ends at
    /// whitespace, a quote, `<`, `>`, `(` or `)`.
    public static func redactAddresses(in text: String) -> String {
        guard text.contains("://") else { return text }
        var result = ""
        var token = ""
        func flush() {
            result += token.contains("://") ? redact(token) : token
            token = ""
        }
        for character in text {
            if character.isWhitespace || "\"'<>()".contains(character) {
                flush()
                result.append(character)
            } else {
                token.append(character)
            }
        }
        flush()
        return result
    }

    /// Schemes whose user name is a login, not a secret: shown in logs.
    private static let usersArePublic: Set<String> = ["postgresql", "postgres", "sqlite", "smtp", "smtps", "mysql", "redis", "amqp", "file"]

    /// Query parameter names whose values are secrets.
    private static func isSecretParameter(_ name: Substring) -> Bool {
        let lower = name.lowercased()
        return ["password", "secret", "token", "api_key", "apikey", "key", "pass", "passwd", "pwd", "auth"].contains(lower)
            || lower.contains("password") || lower.contains("secret") || lower.contains("token")
            // Another address given as an option (`listen_dsn`) may carry its own password.
            || lower.hasSuffix("dsn") || lower.hasSuffix("url")
    }

    private static func redactSecretParameters(_ text: Substring) -> String {
        var output = ""
        var remaining = text
        // Parameters start after `?` or `&`; each value runs to the next `&`.
        while let separator = remaining.firstIndex(where: { $0 == "?" || $0 == "&" }) {
            output += String(remaining[...separator])
            let parameter = remaining[remaining.index(after: separator)...]
            let end = parameter.firstIndex(of: "&") ?? parameter.endIndex
            let pair = parameter[..<end]
            if let equals = pair.firstIndex(of: "="), isSecretParameter(pair[..<equals]) {
                output += String(pair[...equals]) + "***"
            } else {
                output += String(pair)
            }
            remaining = parameter[end...]
        }
        return output + String(remaining)
    }

    /// Decodes `%XX` escapes; a `%` not followed by two hexadecimal digits is an error naming the part
    /// (never its text, which may be a password).
    private static func percentDecode(_ text: Substring, part: String, in raw: String) throws -> String {
        guard text.contains("%") else { return String(text) }
        guard let decoded = String(text).removingPercentEncoding else {
            throw MessengerError(.invalidDSN, "invalid DSN \"\(redact(raw))\": \(part) has a bad percent escape: \"%\" must be followed by two hexadecimal digits (write %25 for a literal \"%\")")
        }
        return decoded
    }
}
