/** Recorded team reviews: one on its own (the link a team shares) and its Markdown export. */
import { useMutation } from "@tanstack/react-query";
import { $api, fetchClient } from "../api/client";
import { downloadFileName } from "../lib/cycleData";

export function useRecordedReview(reviewId: string) {
  return $api.useQuery("get", "/api/v1/reviews/{review_id}", { params: { path: { review_id: reviewId } } });
}

/** The review as a Markdown file, with the name the server gives it. */
export function useReviewMarkdown() {
  return useMutation({
    mutationFn: async (reviewId: string) => {
      const { data, error, response } = await fetchClient.GET("/api/v1/reviews/{review_id}/markdown", {
        params: { path: { review_id: reviewId } },
        parseAs: "text",
      });
      if (error !== undefined) throw error;
      return {
        text: data,
        fileName: downloadFileName(response.headers.get("Content-Disposition"), "review.md"),
      };
    },
  });
}
