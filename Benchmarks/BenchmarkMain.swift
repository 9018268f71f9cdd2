/// `swift run -c release MessengerBenchmarks` prints the table; `... worker PATH` is the child process.
@main
enum BenchmarkMain {
    static func main() async throws {
        if CommandLine.arguments.count >= 3 && CommandLine.arguments[1] == "worker" {
            try await SQLiteBenchmarks.runWorker(path: CommandLine.arguments[2])
        } else {
            try await BenchmarkRun.main()
        }
    }
}
