import HTTPTypes

/// A request the server refuses or cannot serve: its status, a message naming the culprit, and
/// what else the client should know (the JSON body's other fields, headers such as `Retry-After`).
/// Thrown by a route, it is answered as `{"error": message, …fields}` with its status.
public struct HTTPProblem: Error {
    /// The status to answer.
    public var status: HTTPResponse.Status
    /// What is wrong, naming the culprit (the body's `error`).
    public var message: String
    /// More of the body (`status`, `id`, …).
    public var fields: [String: JSONValue] = [:]
    /// Headers to send with the answer (`Retry-After`, `Allow`, …).
    public var headers: HTTPFields = [:]

    /// A problem answered with `status` and `message`, plus `fields` and `headers`.
    public init(_ status: HTTPResponse.Status, _ message: String, fields: [String: JSONValue] = [:], headers: HTTPFields = [:]) {
        self.status = status
        self.message = message
        self.fields = fields
        self.headers = headers
    }
}
