package dev.weir.cli.lab;

import java.util.List;
import java.util.concurrent.Callable;

import dev.weir.lab.Lab;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code weir lab exec NS/POD|NODE|ext -- CMD [ARGS]}: runs a command in a pod, a node or ext; exits with its exit code. */
@Command(name = "exec", mixinStandardHelpOptions = true,
        description = {"Run a command inside a pod (its network namespace and cgroup), a node (its namespace and the",
                "cgroup of its own processes, e.g. node1) or ext.",
                "stdin, stdout and stderr are the command's; the exit code is the command's."})
final class LabExecCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "NS/POD|NODE|ext")
    String who;

    @Parameters(index = "1..*", arity = "1..*", paramLabel = "CMD", description = "The command and its arguments (after --).")
    List<String> command;

    @Override
    public Integer call() {
        System.out.flush();
        return Lab.require().exec(who, command);
    }
}
