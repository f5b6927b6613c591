/**
 * Simulator budget, part 4 of 4: seeds 751..1000, each a full run (60 simulated seconds, 2–5 nodes, 1–3 links,
 * a protection mode and all knobs drawn from the seed) with every checker on. Split in four files so node's test
 * runner spreads them over the cores. A failure names the seed and the one command that replays it.
 */
import { runBudget } from './budget.js';

runBudget(751, 1000);
