/**
 * The network guard for child processes that tests start (the host, the CLI). It blocks the same
 * way as in the test process and says so on stderr, where the test harness looks for it.
 */
import { installNetworkGuard } from "./networkGuard.js";

installNetworkGuard();
