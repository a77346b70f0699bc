from django import forms

MAX_QUERY = 200


class SearchForm(forms.Form):
    q = forms.CharField(
        label="Search the course",
        max_length=MAX_QUERY,
        required=False,
        strip=True,
        error_messages={"max_length": f"Searches are at most {MAX_QUERY} characters: shorten it."},
    )
