package org.racro4j.training.tasks;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class FactSolverTest {

    private static final String SCENE = "red circle at top left . blue square at top right . "
            + "red triangle at middle center . green circle at bottom left .";

    private static void assertAnswer(String expected, String description, String question) {
        assertEquals(Optional.ofNullable(expected), FactSolver.answer(description, question), question);
    }

    @Test
    void shapesQuestions() {
        assertAnswer("2", SCENE, "how many red shapes are there ?");
        assertAnswer("0", SCENE, "how many yellow shapes are there ?");
        assertAnswer("2", SCENE, "how many circles are there ?");
        assertAnswer("yes", SCENE, "are there more red shapes than blue shapes ?");
        assertAnswer("no", SCENE, "are there more blue shapes than green shapes ?");
        assertAnswer("blue", SCENE, "what color is the square ?");
        assertAnswer(null, SCENE, "what color is the circle ?"); // two circles
        assertAnswer("square", SCENE, "what shape is the blue object ?");
        assertAnswer(null, SCENE, "what shape is the red object ?");
        assertAnswer("3", SCENE, "how many circles and triangles are there in total ?");
        assertAnswer("3", SCENE, "how many red and green shapes are there in total ?");
    }

    @Test
    void spatialQuestionsUseRowsAndColumns() {
        // right of the red triangle (column 1): only the blue square (column 2)
        assertAnswer("blue", SCENE, "what color is the shape right of the red triangle ?");
        // left of the blue square: three objects, so no unique answer
        assertAnswer(null, SCENE, "what color is the shape left of the blue square ?");
        // below the red triangle (row 1): only the green circle (row 2)
        assertAnswer("circle", SCENE, "what shape is the object below the red triangle ?");
        assertAnswer("yes", SCENE, "is the red circle above the green circle ?");
        assertAnswer("no", SCENE, "is the red circle left of the green circle ?"); // same column
        assertAnswer("yes", SCENE, "is the blue square right of the red triangle ?");
    }

    @Test
    void chartClockAndGridQuestions() {
        String chart = "the red bar is 7 . the blue bar is 2 . the green bar is 9 .";
        assertAnswer("7", chart, "what is the value of the red bar ?");
        assertAnswer(null, chart, "what is the value of the yellow bar ?");
        assertAnswer("green", chart, "which bar is the tallest ?");
        assertAnswer("blue", chart, "which bar is the shortest ?");
        assertAnswer(null, "the red bar is 7 . the blue bar is 7 .", "which bar is the tallest ?");
        assertAnswer("11", chart, "what is the sum of the green bar and the blue bar ?");
        assertAnswer("11", "the clock shows 11 o'clock .", "what hour does the clock show ?");
        assertAnswer("2", "the clock shows 11 o'clock .", "what hour will it be in 3 hours ?");
        assertAnswer("12", "the clock shows 11 o'clock .", "what hour will it be in 1 hour ?");
        String grid = "the green cell is at row 2 column 3 . the red cell is at row 4 column 1 .";
        assertAnswer("4", grid, "how many steps from the green cell to the red cell ?");
        assertAnswer("4", grid, "how many steps from the red cell to the green cell ?");
    }

    @Test
    void mazeKnightAndArrowQuestions() {
        String maze = "the green cell is at row 1 column 1 . the red cell is at row 1 column 3 . "
                + "a wall is at row 1 column 2 . a wall is at row 2 column 2 .";
        String around = "how many steps from the green cell to the red cell around the walls ?";
        assertAnswer("6", maze, around); // down to row 3, across, and back up
        assertAnswer("2", "the green cell is at row 1 column 1 . the red cell is at row 1 column 3 .", around);
        assertAnswer(null, "the green cell is at row 1 column 1 . the red cell is at row 4 column 4 . "
                + "a wall is at row 1 column 2 . a wall is at row 2 column 1 .", around); // the green cell is walled in
        assertAnswer(null, "the green cell is at row 1 column 1 .", around);
        String knight = "how many knight moves from the green cell to the red cell ?";
        assertAnswer("1", "the green cell is at row 1 column 1 . the red cell is at row 2 column 3 .", knight);
        assertAnswer("3", "the green cell is at row 1 column 1 . the red cell is at row 1 column 2 .", knight);
        String arrows = "the red arrow points left . the blue arrow points down .";
        assertAnswer("up", arrows, "where will the red arrow point after 1 quarter turn clockwise ?");
        assertAnswer("right", arrows, "where will the red arrow point after 6 quarter turns clockwise ?");
        assertAnswer("down", arrows, "where will the blue arrow point after 4 quarter turns clockwise ?");
        assertAnswer("left", arrows, "where will the blue arrow point after 1 quarter turn clockwise ?");
        assertAnswer(null, arrows, "where will the green arrow point after 2 quarter turns clockwise ?"); // no such arrow
        assertAnswer("down", "the red arrow points right . the red arrow points up .",
                "where will the red arrow point after 1 quarter turn clockwise ?"); // the first statement counts
        assertAnswer(null, "the arrow points left .", "where will the red arrow point after 1 quarter turn clockwise ?");
        assertAnswer(null, "the clock shows 3 o'clock .", "where will the red arrow point after 2 quarter turns clockwise ?");
        assertAnswer(null, arrows, "where will the arrow point after 2 quarter turns clockwise ?"); // not a template
    }

    @Test
    void captionsAreReadLeniently() {
        String caption = "the image shows a scene with shapes . there is a red circle at top left and a "
                + "blue square at top right . Red Circle at top left .";
        assertAnswer("1", caption, "how many red shapes are there ?"); // repeated fact counted once
        assertAnswer("square", caption, "what shape is the blue object ?");
        assertAnswer(null, "the image shows a chart .", "what is the value of the red bar ?");
        assertAnswer(null, SCENE, "what is the meaning of life ?");
    }
}
