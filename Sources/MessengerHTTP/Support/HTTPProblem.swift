import HTTPTypes

/// A request the server refuses or cannot serve: its status, a message naming the culprit, and
/// what else the client should know (the JSON body's other fields, headers such as `Retry-After`).
struct HTTPProblem: Error {
    var status: HTTPResponse.Status
    var message: String
    var fields: [String: JSONValue] = [:]
    var headers: HTTPFields = [:]

    init(_ status: HTTPResponse.Status, _ message: String, fields: [String: JSONValue] = [:], headers: HTTPFields = [:]) {
        self.status = status
        self.message = message
        self.fields = fields
        self.headers = headers
    }
}
