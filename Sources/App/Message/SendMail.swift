import Messenger

/// An e-mail to a student or a member of staff, sent through `MAILER_DSN`.
public struct SendMail: Message, Equatable {
    public static let messageName = "App.SendMail"
    public var to: [String]
    public var subject: String
    public var text: String
    public var html: String?

    public init(to: [String], subject: String, text: String, html: String? = nil) {
        self.to = to
        self.subject = subject
        self.text = text
        self.html = html
    }
}
