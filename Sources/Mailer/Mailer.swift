import Foundation
import Messenger

/// Sends e-mails somewhere: an SMTP server, a folder, nowhere.
public protocol Mailer: Sendable {
    /// Sends the e-mail; returns where it went (a file path, the server's answer).
    @discardableResult
    func send(_ email: Email) async throws -> String
}

/// Builds the mailer a `MAILER_DSN` names: `smtp://user:pass@host:port` (STARTTLS when offered, and
/// required when credentials are given), `smtps://…` (TLS from the start), `file://DIR` (one `.eml`
/// file per mail), `null://` (dropped). Options: `tls=required` (STARTTLS even without credentials),
/// `tls=none` (no TLS, credentials in clear: for a local test server only), `verify_peer=0`.
public enum MailerFactory {
    /// `baseDirectory` resolves a relative `file://` folder.
    public static func make(dsn text: String, baseDirectory: String) throws -> any Mailer {
        let dsn: DSN
        do {
            dsn = try DSN(parsing: text)
        } catch let error as MessengerError {
            throw MailerConfigurationError("MAILER_DSN: \(error.message); expected smtp://user:pass@host:port, smtps://…, file://DIR or null://")
        }
        switch dsn.scheme {
        case "null":
            return NullMailer()
        case "file":
            let written = (dsn.host ?? "") + dsn.path
            guard !written.isEmpty else { throw MailerConfigurationError("MAILER_DSN: file:// needs a folder, e.g. file://var/mail") }
            let folder = written.hasPrefix("/") ? written : URL(fileURLWithPath: baseDirectory).appendingPathComponent(written).path
            return FileMailer(directory: folder)
        case "smtp", "smtps":
            guard let host = dsn.host, !host.isEmpty else {
                throw MailerConfigurationError("MAILER_DSN: \(dsn) names no host")
            }
            if let unknown = dsn.query.map(\.0).first(where: { !["tls", "verify_peer"].contains($0) }) {
                throw MailerConfigurationError("MAILER_DSN: unknown option \"\(unknown)\" in \(dsn); options: tls (auto, required, none), verify_peer (0 or 1)")
            }
            return SMTPMailer(
                host: host, port: dsn.port ?? (dsn.scheme == "smtps" ? 465 : 25), tls: try tlsPolicy(dsn),
                username: dsn.user.flatMap { $0.isEmpty ? nil : $0 }, password: dsn.password, verifyPeer: dsn.option("verify_peer") != "0"
            )
        default:
            throw MailerConfigurationError("MAILER_DSN: unknown scheme \"\(dsn.scheme)\"; use smtp, smtps, file or null")
        }
    }

    private static func tlsPolicy(_ dsn: DSN) throws -> SMTPMailer.TLSPolicy {
        let option = dsn.option("tls")
        if dsn.scheme == "smtps" {
            guard option == nil || option == "required" else {
                throw MailerConfigurationError("MAILER_DSN: smtps:// always uses TLS; tls=\(option ?? "") contradicts it")
            }
            return .implicit
        }
        switch option {
        case nil, "auto": return .opportunistic
        case "required": return .required
        case "none": return .none
        case let other?: throw MailerConfigurationError("MAILER_DSN: tls must be auto, required or none, got \"\(other)\"")
        }
    }

    /// The DSN with its password (and any secret parameter) replaced by `***`, even a malformed one.
    public static func redacted(_ text: String) -> String { DSN.redact(text) }
}

/// `null://`: mails are dropped (and logged by the caller).
public struct NullMailer: Mailer {
    public init() {}
    public func send(_ email: Email) async throws -> String { "dropped (null://)" }
}
