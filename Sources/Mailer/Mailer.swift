import Foundation

/// Sends e-mails somewhere: an SMTP server, a folder, nowhere.
public protocol Mailer: Sendable {
    /// Sends the e-mail; returns where it went (a file path, the server's answer).
    @discardableResult
    func send(_ email: Email) async throws -> String
}

/// Builds the mailer a `MAILER_DSN` names: `smtp://user:pass@host:port` (STARTTLS when offered),
/// `smtps://…` (TLS from the start), `file://DIR` (one `.eml` file per mail), `null://` (dropped).
public enum MailerFactory {
    /// `baseDirectory` resolves a relative `file://` folder.
    public static func make(dsn text: String, baseDirectory: String) throws -> any Mailer {
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased() else {
            throw MailerConfigurationError("MAILER_DSN: cannot read \"\(redacted(text))\"; expected smtp://user:pass@host:port, smtps://…, file://DIR or null://")
        }
        switch scheme {
        case "null":
            return NullMailer()
        case "file":
            let written = (components.host ?? "") + components.path
            guard !written.isEmpty else { throw MailerConfigurationError("MAILER_DSN: file:// needs a folder, e.g. file://var/mail") }
            let folder = written.hasPrefix("/") ? written : URL(fileURLWithPath: baseDirectory).appendingPathComponent(written).path
            return FileMailer(directory: folder)
        case "smtp", "smtps":
            guard let host = components.host, !host.isEmpty else {
                throw MailerConfigurationError("MAILER_DSN: \(redacted(text)) names no host")
            }
            return SMTPMailer(
                host: host, port: components.port ?? (scheme == "smtps" ? 465 : 25), implicitTLS: scheme == "smtps",
                username: components.percentEncodedUser?.removingPercentEncoding, password: components.percentEncodedPassword?.removingPercentEncoding,
                verifyPeer: components.queryItems?.first { $0.name == "verify_peer" }?.value != "0"
            )
        default:
            throw MailerConfigurationError("MAILER_DSN: unknown scheme \"\(scheme)\"; use smtp, smtps, file or null")
        }
    }

    /// The DSN with its password replaced by `***`.
    public static func redacted(_ text: String) -> String {
        guard var components = URLComponents(string: text), components.password != nil else { return text }
        components.password = "***"
        return components.string ?? text
    }
}

/// `null://`: mails are dropped (and logged by the caller).
public struct NullMailer: Mailer {
    public init() {}
    public func send(_ email: Email) async throws -> String { "dropped (null://)" }
}
