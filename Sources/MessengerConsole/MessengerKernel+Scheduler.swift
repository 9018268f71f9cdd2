import Foundation
import Logging
import Messenger
import MessengerConfig
import Scheduler

extension MessengerKernel {
    /// The prefix of the receivers that emit a schedule: `scheduler_default`.
    static let schedulerPrefix = "scheduler_"

    /// `config/scheduler.yaml`, read once.
    func schedulerConfiguration() throws -> SchedulerConfiguration {
        try schedulerFile.get { try SchedulerConfigLoader.load(projectDirectory: projectDirectory, environment: environment) }
    }

    /// The schedules declared in code, with `config/scheduler.yaml` and the environment applied.
    public func schedules() throws -> [Schedule] {
        let declared = try scheduleProviders.map { try $0.schedule() }
        let configuration = try schedulerConfiguration()
        return try ScheduleAssembler.assemble(declared: declared, configuration: configuration, environment: environment) { type, json in
            try serializer.decodeMessage(named: type, json: json)
        }
    }

    /// The schedule of that name; an error naming the known ones otherwise.
    public func schedule(named name: String, in schedules: [Schedule]) throws -> Schedule {
        guard let schedule = schedules.first(where: { $0.name == name }) else {
            let known = schedules.map(\.name)
            throw MessengerError(.unknownTransport, "unknown schedule \"\(name)\"; schedules: \(known.isEmpty ? "none (the application declares none and config/scheduler.yaml adds none)" : known.joined(separator: ", "))")
        }
        return schedule
    }

    /// The transport whose database records occurrences: `scheduler.state`, else `async` or the first
    /// transport able to hold them; nil when none can.
    public func stateTransportName() throws -> String? {
        let configuration = try schedulerConfiguration()
        if let name = configuration.stateTransport {
            guard try transport(named: name) is any OccurrenceLedgerProvider else {
                throw MessengerError(.notSupported, "config/scheduler.yaml: scheduler.state: transport \"\(name)\" cannot record occurrences; name an sqlite:// or postgresql:// transport")
            }
            return name
        }
        return (["async"] + storingTransportNames).first { transports[$0] is any OccurrenceLedgerProvider }
    }

    /// Where occurrences are recorded: in the database of the state transport; in memory, with a
    /// warning, when no transport can hold them.
    public func occurrenceLedger() throws -> any OccurrenceLedger {
        if let name = try stateTransportName(), let provider = transports[name] as? any OccurrenceLedgerProvider {
            return provider.makeOccurrenceLedger()
        }
        logger.warning("No sqlite:// or postgresql:// transport is configured: occurrences are recorded in memory, so each process emits them on its own")
        return InMemoryOccurrenceLedger()
    }

    /// The clock of schedules: the system's, or `SCHEDULER_CLOCK` (`start=… speed=… anchor=…`) to
    /// rehearse a schedule faster than real time.
    public func schedulerClock() throws -> any SchedulerClock {
        guard let text = environment["SCHEDULER_CLOCK"], !text.isEmpty else { return SystemSchedulerClock() }
        let clock = try AcceleratedSchedulerClock(parsing: text)
        logger.warning("SCHEDULER_CLOCK is set: schedules run on a clock that started at \(clock.start.formatted(.iso8601)) and runs \(clock.speed)× real time")
        return clock
    }

    /// The receiver `scheduler_<name>`, as a worker consumes it: a failed scheduled message handled
    /// here is not retried (the next occurrence is) and goes to the failure transport.
    func scheduleWorkerTransport(named receiver: String, schedules: [Schedule], ledger: any OccurrenceLedger, clock: any SchedulerClock) throws -> WorkerTransport {
        let schedule = try schedule(named: String(receiver.dropFirst(Self.schedulerPrefix.count)), in: schedules)
        let scheduleReceiver = try ScheduleReceiver(schedule: schedule, ledger: ledger, bus: bus, senders: senders, clock: clock, logger: logger)
        let failure = try configuration.failureTransport.map { WorkerTransport.FailureDestination(name: $0, sender: try self.transport(named: $0)) }
        return scheduleReceiver.workerTransport(failureDestination: failure)
    }
}
