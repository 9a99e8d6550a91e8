package io.zerodowntime;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * The nice values of this process's threads: the seam {@link HandoverPriority} works
 * through. On Linux nice is per thread, and a thread (or process) starts with the nice
 * value of the thread that created it.
 */
interface ThreadNice {

	/**
	 * Return the ids of this process's threads.
	 * @return the thread ids
	 * @throws IOException if they cannot be listed
	 */
	List<Integer> threads() throws IOException;

	/**
	 * Return the id of the calling thread.
	 * @return the thread id
	 * @throws IOException if it cannot be read
	 */
	int current() throws IOException;

	/**
	 * Return a thread's nice value.
	 * @param tid the thread id
	 * @return its nice value
	 * @throws IOException if it cannot be read (the thread is gone)
	 */
	int nice(int tid) throws IOException;

	/**
	 * Return a thread's name as the kernel has it (at most 15 characters).
	 * @param tid the thread id
	 * @return its name
	 * @throws IOException if it cannot be read (the thread is gone)
	 */
	String name(int tid) throws IOException;

	/**
	 * Set a thread's nice value.
	 * @param tid the thread id
	 * @param nice the nice value
	 * @throws NativeException if the kernel refuses
	 */
	void setNice(int tid, int nice) throws NativeException;

	/**
	 * The threads of this JVM, read from {@code /proc/self/task}.
	 * @return the threads
	 */
	static ThreadNice ofThisProcess() {
		return new ThreadNice() {

			@Override
			public List<Integer> threads() throws IOException {
				try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
					return tasks.map((task) -> Integer.parseInt(task.getFileName().toString())).toList();
				}
			}

			@Override
			public int current() throws IOException {
				return Integer.parseInt(Files.readSymbolicLink(Path.of("/proc/thread-self")).getFileName().toString());
			}

			@Override
			public int nice(int tid) throws IOException {
				String stat = Files.readString(Path.of("/proc/self/task/" + tid + "/stat"));
				// fields after the command, which may hold spaces: state is field 3, nice
				// field 19
				String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
				return Integer.parseInt(fields[16]);
			}

			@Override
			public String name(int tid) throws IOException {
				return Files.readString(Path.of("/proc/self/task/" + tid + "/comm")).strip();
			}

			@Override
			public void setNice(int tid, int nice) throws NativeException {
				Os.posix().processes().setThreadNice(tid, nice);
			}

		};
	}

}
