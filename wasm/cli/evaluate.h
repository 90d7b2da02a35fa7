// `camscope evaluate`: faithfulness metrics over pictures and folders (see evaluate.cpp).
#pragma once

namespace camscope {

// Runs the subcommand on its own arguments (after "evaluate"); returns the exit status.
int run_evaluate(int argc, char** argv);

}  // namespace camscope
