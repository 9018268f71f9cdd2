import Foundation

/// The benchmark's worker processes: this executable started with a verb, each printing, when done,
/// its peak RSS and CPU time.
enum WorkerChild {
    /// Starts this executable with `arguments`; its standard output is piped back.
    static func start(_ arguments: [String]) throws -> (Process, Pipe) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        return (process, output)
    }

    /// What a worker child prints when it is done: its peak RSS in bytes and its CPU seconds.
    struct Report {
        var peakRSSBytes = 0
        var cpuSeconds = 0.0

        init(peakRSSBytes: Int, cpuSeconds: Double) {
            self.peakRSSBytes = peakRSSBytes
            self.cpuSeconds = cpuSeconds
        }

        init(line: String) {
            let fields = line.split(whereSeparator: \.isWhitespace)
            peakRSSBytes = fields.first.flatMap { Int($0) } ?? 0
            cpuSeconds = fields.dropFirst().first.flatMap { Double($0) } ?? 0
        }

        static var current: Report { Report(peakRSSBytes: peakResidentBytes(), cpuSeconds: cpuSecondsUsed()) }
        var line: String { "\(peakRSSBytes) \(cpuSeconds)" }
    }

    /// Collects the children's reports: the highest peak RSS, the CPU time of all.
    static func collect(_ children: [(Process, Pipe)], count: Int, start: ContinuousClock.Instant) -> (report: Report, elapsed: Double, cpuPerMessage: Double) {
        var total = Report(peakRSSBytes: 0, cpuSeconds: 0)
        for (process, output) in children {
            let report = Report(line: String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
            process.waitUntilExit()
            total.peakRSSBytes = max(total.peakRSSBytes, report.peakRSSBytes)
            total.cpuSeconds += report.cpuSeconds
        }
        return (total, SQLiteBenchmarks.seconds(ContinuousClock.now - start), total.cpuSeconds * 1_000_000 / Double(count))
    }

    /// User and system CPU seconds of this process so far.
    static func cpuSecondsUsed() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1_000_000 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    /// VmHWM of this process, in bytes.
    static func peakResidentBytes() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kilobytes = Int(line.split(separator: " ", omittingEmptySubsequences: true)[1]) else { return 0 }
        return kilobytes * 1024
    }
}
