import Messenger

/// The mail server could not take the mail now (a 4xx answer, a timeout, no connection): worth
/// retrying later.
public struct MailerTransientError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// The mail server refused the mail for good (a 5xx answer): retrying cannot help.
public struct MailerRejectedError: UnrecoverableError, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// `MAILER_DSN` cannot be used: what was given and what is expected (the password never shown).
public struct MailerConfigurationError: UnrecoverableError, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
