import Foundation

/// An e-mail to send: addresses, subject, a text body and an optional HTML alternative.
public struct Email: Sendable, Codable, Equatable {
    public var from: String
    public var to: [String]
    public var subject: String
    public var text: String
    public var html: String?

    public init(from: String, to: [String], subject: String, text: String, html: String? = nil) {
        self.from = from
        self.to = to
        self.subject = subject
        self.text = text
        self.html = html
    }
}
