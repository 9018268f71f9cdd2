/// A command's refusal or failure, printed as `Error: <text>` with exit code 1.
struct ConsoleError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
