package io.zerodowntime.sample.it;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import org.junit.jupiter.api.Tag;

/**
 * An integration test that runs with no other test beside it: it makes load or measures
 * time, and another test's JVMs on the same cores would change what it sees. The others
 * run two at a time (two forks; {@code sample-app/pom.xml}), each fork with ports of its
 * own ({@link Http#freePort()}).
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Tag(RunsAlone.TAG)
public @interface RunsAlone {

	/** The JUnit tag, the failsafe executions' group. */
	String TAG = "runs-alone";

}
