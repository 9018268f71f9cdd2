import CCurl
import Dispatch
import Foundation

/// `smtp://` and `smtps://` through libcurl's SMTP support: STARTTLS when the server offers it (TLS from
/// the start with `smtps://`), AUTH when credentials are given — never in clear unless the DSN says
/// `tls=none`. Each send runs on a queue of its own, never on the cooperative thread pool. A 4xx
/// answer, a timeout or a lost connection is transient; a 5xx answer is a rejection.
public struct SMTPMailer: Mailer {
    /// When the connection is encrypted.
    public enum TLSPolicy: Sendable, Equatable {
        /// TLS from the first byte (`smtps://`).
        case implicit
        /// STARTTLS when the server offers it; required when credentials are to be sent.
        case opportunistic
        /// STARTTLS, or the mail fails.
        case required
        /// Never: everything in clear, credentials included (`tls=none`, for a local test server).
        case none
    }

    public let host: String
    public let port: Int
    public let tls: TLSPolicy
    let username: String?
    let password: String?
    let verifyPeer: Bool
    /// The whole exchange, connection included, may take at most this long.
    public var timeoutSeconds = 30

    private static let queue = DispatchQueue(label: "smtp", attributes: .concurrent)
    private static let globalInit: Void = { curl_global_init(Int(CURL_GLOBAL_DEFAULT)) }()

    public init(host: String, port: Int, tls: TLSPolicy, username: String? = nil, password: String? = nil, verifyPeer: Bool = true) {
        self.host = host
        self.port = port
        self.tls = tls
        self.username = username
        self.password = password
        self.verifyPeer = verifyPeer
    }

    public var implicitTLS: Bool { tls == .implicit }

    /// Whether the connection must be encrypted before anything is sent: credentials never go in clear.
    var requiresTLS: Bool {
        switch tls {
        case .implicit, .required: true
        case .opportunistic: username != nil || password != nil
        case .none: false
        }
    }

    /// Where mails go, for logs: no credentials.
    public var endpoint: String { "\(implicitTLS ? "smtps" : "smtp")://\(host):\(port)" }

    public func send(_ email: Email) async throws -> String {
        let message = EmailRenderer.render(email)
        return try await withCheckedThrowingContinuation { continuation in
            Self.queue.async {
                continuation.resume(with: Result { try self.transfer(email, message: message) })
            }
        }
    }

    /// The message being uploaded, read by libcurl's callback.
    private final class Upload {
        let bytes: [UInt8]
        var offset = 0
        init(_ text: String) { bytes = Array(text.utf8) }
    }

    private func transfer(_ email: Email, message: String) throws -> String {
        _ = Self.globalInit
        guard let handle = curl_easy_init() else { throw MailerTransientError("\(endpoint): libcurl could not start a transfer") }
        defer { curl_easy_cleanup(handle) }
        var recipients: UnsafeMutablePointer<curl_slist>?
        for address in email.to { recipients = curl_slist_append(recipients, "<\(EmailRenderer.address(address))>") }
        defer { curl_slist_free_all(recipients) }
        let upload = Upload(message)
        var errorBuffer = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        let code: CURLcode = withExtendedLifetime(upload) {
            errorBuffer.withUnsafeMutableBufferPointer { buffer in
                _ = ccurl_setopt_string(handle, CURLOPT_URL, endpoint)
                _ = ccurl_setopt_string(handle, CURLOPT_MAIL_FROM, "<\(EmailRenderer.address(email.from))>")
                _ = ccurl_setopt_pointer(handle, CURLOPT_MAIL_RCPT, recipients)
                _ = ccurl_setopt_long(handle, CURLOPT_UPLOAD, 1)
                _ = ccurl_setopt_long(handle, CURLOPT_TIMEOUT, timeoutSeconds)
                _ = ccurl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT, min(10, timeoutSeconds))
                _ = ccurl_setopt_long(handle, CURLOPT_NOSIGNAL, 1)
                let ssl = requiresTLS ? CURLUSESSL_ALL : tls == .none ? CURLUSESSL_NONE : CURLUSESSL_TRY
                _ = ccurl_setopt_long(handle, CURLOPT_USE_SSL, Int(ssl.rawValue))
                if !verifyPeer {
                    _ = ccurl_setopt_long(handle, CURLOPT_SSL_VERIFYPEER, 0)
                    _ = ccurl_setopt_long(handle, CURLOPT_SSL_VERIFYHOST, 0)
                }
                if let username { _ = ccurl_setopt_string(handle, CURLOPT_USERNAME, username) }
                if let password { _ = ccurl_setopt_string(handle, CURLOPT_PASSWORD, password) }
                _ = ccurl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, buffer.baseAddress)
                _ = ccurl_setopt_pointer(handle, CURLOPT_READDATA, Unmanaged.passUnretained(upload).toOpaque())
                _ = ccurl_setopt_read_function(handle) { destination, size, count, context in
                    guard let destination, let context else { return 0 }
                    let upload = Unmanaged<Upload>.fromOpaque(context).takeUnretainedValue()
                    let length = min(size * count, upload.bytes.count - upload.offset)
                    upload.bytes.withUnsafeBufferPointer { source in
                        UnsafeMutableRawPointer(destination).copyMemory(from: source.baseAddress! + upload.offset, byteCount: length)
                    }
                    upload.offset += length
                    return length
                }
                return curl_easy_perform(handle)
            }
        }
        let answer = ccurl_response_code(handle)
        if code == CURLE_OK { return "\(endpoint) answered \(answer)" }
        if code == CURLE_USE_SSL_FAILED {
            let why = tls == .required ? "the DSN says tls=required" : "the credentials of MAILER_DSN are never sent in clear"
            throw MailerRejectedError("\(endpoint) does not offer STARTTLS and \(why): use a server that offers it, smtps://, or ?tls=none for a local test server only")
        }
        let detail = String(decoding: errorBuffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let reason = detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
        let what = "\(endpoint) did not take the mail to \(email.to.joined(separator: ", ")): \(reason)\(answer > 0 ? " (answer \(answer))" : "")"
        if (500...599).contains(answer) || code == CURLE_LOGIN_DENIED { throw MailerRejectedError(what) }
        throw MailerTransientError(what)
    }
}
